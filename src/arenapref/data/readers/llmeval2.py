"""LLMEval² benchmark: query, response1, response2, human (model1 / model2 / TIE), dataset (kept as extra column).

The file ships as a zip holding JSONL plus a __MACOSX entry, which the record loader skips.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import lookup, optional_str, row_id
from arenapref.data.report import ReadReport
from arenapref.data.rows import convert_rows, in_field
from arenapref.data.turns import text_turn

HUMAN = {"model1": 0, "model2": 1, "TIE": 2}


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        return {
            "id": row_id(record, None, source, number),
            "source": source,
            "prompt": in_field("query", text_turn, record.get("query"), report),
            "response_a": in_field("response1", text_turn, record.get("response1"), report),
            "response_b": in_field("response2", text_turn, record.get("response2"), report),
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
