"""Tulu 1 human evaluation: one row per annotator judgment (prompt, model_a/b, completion_a/b, preference).

Graded preferences map to labels and soft labels over (A, B, tie):
  a-is-better 0 (1, 0, 0); a-is-slightly-better 0 (0.75, 0, 0.25); tie 2 (0, 0, 1);
  b-is-slightly-better 1 (0, 0.75, 0.25); b-is-better 1 (0, 1, 0).
"Slightly better" keeps a quarter of its mass on the tie: a choice of this package, not of the annotators.
The preference text, evaluator, instance_id and the acceptability flags are kept as extra columns.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import lookup, optional_str, row_id, text_sides
from arenapref.data.report import ReadReport
from arenapref.data.rows import convert_rows

PREFERENCES: dict[str, tuple[int, tuple[float, float, float]]] = {
    "a-is-better": (0, (1.0, 0.0, 0.0)),
    "a-is-slightly-better": (0, (0.75, 0.0, 0.25)),
    "tie": (2, (0.0, 0.0, 1.0)),
    "b-is-slightly-better": (1, (0.0, 0.75, 0.25)),
    "b-is-better": (1, (0.0, 1.0, 0.0)),
}


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        label, (soft_a, soft_b, soft_tie) = lookup(record, "preference", PREFERENCES)
        return {
            "id": row_id(record, "id", source, number),
            "source": source,
            **text_sides(record, report, "prompt", "completion_a", "completion_b"),
            "model_a": optional_str(record, "model_a"),
            "model_b": optional_str(record, "model_b"),
            "label": label,
            "soft_a": soft_a,
            "soft_b": soft_b,
            "soft_tie": soft_tie,
            "preference": record["preference"],
            "evaluator": optional_str(record, "evaluator"),
            "instance_id": optional_str(record, "instance_id"),
            "completion_a_is_acceptable": optional_str(record, "completion_a_is_acceptable"),
            "completion_b_is_acceptable": optional_str(record, "completion_b_is_acceptable"),
        }

    return convert_rows(raw, report, build)


FORMAT = register(
    Format(
        name="tulu1",
        signature=frozenset({"prompt", "completion_a", "completion_b", "preference"}),
        convert=convert,
        description="Tulu 1 human judgments (graded preference -> label and soft labels)",
    )
)
