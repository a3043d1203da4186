"""HHH alignment (Prometheus wrapping): chosen_instruction / rejected_instruction are grading prompts.

Each wraps the instruction ("###The instruction to evaluate:") and one response ("###Response to evaluate:"),
each running up to the next "###Section:" line; both sides must wrap the same instruction. The chosen response
goes to A or B by the stable hash of `pairs.chosen_in_a`; no ties (tie_allowed False). The set's own `source`
column (harmless, helpful, honest, other) is kept as the extra column `subset`.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import optional_str, row_id
from arenapref.data.readers.messages import clean_text
from arenapref.data.readers.pairs import place
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, convert_rows, in_field
from arenapref.data.turns import FieldError

INSTRUCTION = "###The instruction to evaluate:"
RESPONSE = "###Response to evaluate:"
_SECTION = re.compile(r"^###(?! )[^\n]*:", re.MULTILINE)


def section(text: str, header: str) -> str:
    """The text after `header` up to the next '###Section:' line, stripped."""
    start = text.find(header)
    if start < 0:
        raise FieldError(f"no {header!r} section")
    start += len(header)
    end = _SECTION.search(text, start)
    return text[start : end.start() if end else len(text)].strip()


def unwrap(value: Any, report: ReadReport) -> tuple[str | None, str | None]:
    """(instruction, response) from one grading prompt."""
    if not isinstance(value, str):
        raise FieldError(f"expected text, got {type(value).__name__}")
    return clean_text(section(value, INSTRUCTION), report), clean_text(section(value, RESPONSE), report)


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    id_key = "id" if "id" in raw.columns else None

    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        instruction, chosen = in_field("chosen_instruction", unwrap, record.get("chosen_instruction"), report)
        other, rejected = in_field("rejected_instruction", unwrap, record.get("rejected_instruction"), report)
        if other != instruction:
            raise RowError("rejected_instruction", "wraps a different instruction than chosen_instruction")
        battle = place(source, [instruction], [chosen], [rejected])
        return {"id": row_id(record, id_key, source, number), **battle, "subset": optional_str(record, "source")}

    return convert_rows(raw, report, build)


FORMAT = register(
    Format(
        name="hhh",
        signature=frozenset({"chosen_instruction", "rejected_instruction"}),
        convert=convert,
        description="HHH alignment pairs wrapped in Prometheus grading prompts",
    )
)
