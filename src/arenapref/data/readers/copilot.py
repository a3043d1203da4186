"""Copilot Arena code-completion battles: prefix, suffix, model_a, model_b, acceptedIndex, completion_a/b.

The prompt is one turn: prefix + "<FILL>" + suffix (the cursor position marked by FILL_MARK). acceptedIndex 0 ->
label 0 (A's completion accepted), 1 -> label 1; no ties in this labelling (tie_allowed False). A row with no
acceptedIndex is kept unlabelled (label <NA>) and counted as the repair "label missing (kept unlabelled)".
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import optional_str, row_id
from arenapref.data.readers.messages import clean_text, is_missing
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, convert_rows, in_field
from arenapref.data.turns import text_turn

FILL_MARK = "<FILL>"


def accepted_label(value: Any, report: ReadReport) -> int | None:
    """0 / 1 from acceptedIndex (text or number); missing -> None, counted."""
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        report.repair("label missing (kept unlabelled)")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError("acceptedIndex", f"expected 0 or 1, got {value!r}") from None
    if number not in (0.0, 1.0):
        raise RowError("acceptedIndex", f"expected 0 or 1, got {value!r}")
    return int(number)


def code_text(record: dict[str, Any], field: str, report: ReadReport) -> str:
    """Prefix or suffix: an empty CSV cell is empty code."""
    value = record.get(field)
    if is_missing(value):
        return ""
    if not isinstance(value, str):
        raise RowError(field, f"expected text, got {type(value).__name__}")
    return clean_text(value, report) or ""


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    labelled = "acceptedIndex" in raw.columns

    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        prompt = code_text(record, "prefix", report) + FILL_MARK + code_text(record, "suffix", report)
        return {
            "id": row_id(record, "id", source, number),
            "source": source,
            "prompt": [prompt],
            "response_a": in_field("completion_a", text_turn, record.get("completion_a"), report),
            "response_b": in_field("completion_b", text_turn, record.get("completion_b"), report),
            "model_a": optional_str(record, "model_a"),
            "model_b": optional_str(record, "model_b"),
            "label": accepted_label(record.get("acceptedIndex"), report) if labelled else None,
            "tie_allowed": False,
        }

    return convert_rows(raw, report, build)


FORMAT = register(
    Format(
        name="copilot-arena",
        signature=frozenset({"prefix", "suffix", "completion_a", "completion_b"}),
        convert=convert,
        description="Copilot Arena code completions (prefix/suffix -> one prompt turn, acceptedIndex)",
    )
)
