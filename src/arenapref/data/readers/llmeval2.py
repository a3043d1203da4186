"""LLMEval² benchmark: query, response1, response2, human (model1 / model2 / TIE), dataset (kept as extra column).

The file ships as a zip holding JSONL plus a __MACOSX entry, which the record loader skips.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import lookup, optional_str, row_id, text_sides
from arenapref.data.report import ReadReport
from arenapref.data.rows import convert_rows

HUMAN = {"model1": 0, "model2": 1, "TIE": 2}


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        return {
            "id": row_id(record, None, source, number),
            "source": source,
            **text_sides(record, report, "query", "response1", "response2"),
            "label": lookup(record, "human", HUMAN),
            "dataset": optional_str(record, "dataset"),
        }

    return convert_rows(raw, report, build)


FORMAT = register(
    Format(
        name="llmeval2",
        signature=frozenset({"query", "response1", "response2", "human"}),
        convert=convert,
        description="LLMEval² pairwise benchmark (human: model1 / model2 / TIE)",
    )
)
