"""Auto-J pairwise test set: prompt, "response 1", "response 2", label 0/1/2 (2 = tie), scenario."""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import text_sides
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, convert_rows


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        label = record.get("label")
        if label not in (0, 1, 2):
            raise RowError("label", f"expected 0, 1 or 2, got {label!r}")
        return {
            "id": f"{source}-{number}",
            "source": source,
            **text_sides(record, report, "prompt", "response 1", "response 2"),
            "label": label,
            "scenario": record.get("scenario"),
        }

    return convert_rows(raw, report, build)


FORMAT = register(
    Format(
        name="autoj",
        signature=frozenset({"prompt", "response 1", "response 2", "label"}),
        convert=convert,
        description="Auto-J pairwise JSONL (label 0 / 1 / 2 = tie)",
    )
)
