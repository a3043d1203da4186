"""Long-form QA expert preferences (Xu et al. 2023): question, answer_a, answer_b, overall_preference.

overall_preference -1 = answer_a better (label 0), +1 = answer_b better (label 1); the labelling has no ties
(tie_allowed False). answer_a_type / answer_b_type (human or machine) and the expert's justification are kept
as extra columns.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import lookup, optional_str, row_id, text_sides
from arenapref.data.report import ReadReport
from arenapref.data.rows import convert_rows

PREFERENCE = {-1: 0, 1: 1}


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        return {
            "id": row_id(record, "id", source, number),
            "source": source,
            **text_sides(record, report, "question", "answer_a", "answer_b"),
            "label": lookup(record, "overall_preference", PREFERENCE),
            "tie_allowed": False,
            "answer_a_type": optional_str(record, "answer_a_type"),
            "answer_b_type": optional_str(record, "answer_b_type"),
            "justification": optional_str(record, "justification"),
        }

    return convert_rows(raw, report, build)


FORMAT = register(
    Format(
        name="lfqa",
        signature=frozenset({"question", "answer_a", "answer_b", "overall_preference"}),
        convert=convert,
        description="Long-form QA expert pairs (overall_preference -1 = A, +1 = B)",
    )
)
