"""Kaggle LMSYS train.csv / test.csv: prompt and responses are JSON lists of strings, labels one-hot."""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.errors import DataError
from arenapref.data.formats import Format, register
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, convert_rows, in_field
from arenapref.data.turns import pad_to, parse_json_list

WINNER_COLUMNS = ("winner_model_a", "winner_model_b", "winner_tie")


def _label(record: dict[str, Any], report: ReadReport) -> int | None:
    """The class of the one-hot winner columns; None when the file has none (test.csv) or all three are empty."""
    if not all(c in record for c in WINNER_COLUMNS):
        return None
    if all(_missing(record[c]) for c in WINNER_COLUMNS):
        report.repair("label missing (kept unlabelled)")
        return None
    flags = [_flag(record, c) for c in WINNER_COLUMNS]
    if sorted(flags) != [0, 0, 1]:
        raise RowError("winner_model_a", f"winner columns must be one-hot, got {flags}")
    return flags.index(1)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _flag(record: dict[str, Any], column: str) -> int:
    value = record[column]
    if _missing(value):
        raise RowError(column, "missing value")
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if number not in (0.0, 1.0):
        raise RowError(column, f"expected 0 or 1, got {value!r}")
    return int(number)


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    has_models = "model_a" in raw.columns and "model_b" in raw.columns
    present = [c for c in WINNER_COLUMNS if c in raw.columns]
    if present and len(present) < len(WINNER_COLUMNS):  # else every row would silently become unlabelled
        missing = [c for c in WINNER_COLUMNS if c not in raw.columns]
        raise DataError(
            report.path,
            f"label column {', '.join(missing)} missing (the file has {', '.join(present)})",
            field=missing[0],
        )

    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        if record.get("id") is None or record.get("id") != record.get("id"):
            raise RowError("id", "missing id")
        fields = {
            f: in_field(f, parse_json_list, record.get(f), report) for f in ("prompt", "response_a", "response_b")
        }
        n = max(len(v) for v in fields.values())
        if len({len(v) for v in fields.values()}) > 1:
            report.repair("unequal turn counts padded with None")
            fields = {f: pad_to(v, n) for f, v in fields.items()}
        return {
            "id": str(record["id"]),
            "source": source,
            **fields,
            "model_a": record.get("model_a") if has_models else None,
            "model_b": record.get("model_b") if has_models else None,
            "label": _label(record, report),
        }

    return convert_rows(raw, report, build)


FORMAT = register(
    Format(
        name="kaggle",
        signature=frozenset({"id", "prompt", "response_a", "response_b"}),
        convert=convert,
        description="Kaggle LMSYS train/test CSV (JSON lists of turns, one-hot winner columns)",
    )
)
