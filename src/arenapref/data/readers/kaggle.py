"""Kaggle LMSYS train.csv / test.csv: prompt and responses are JSON lists of strings, labels one-hot."""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, convert_rows, in_field
from arenapref.data.turns import pad_to, parse_json_list

WINNER_COLUMNS = ("winner_model_a", "winner_model_b", "winner_tie")


def _label(record: dict[str, Any]) -> int | None:
    if not all(c in record for c in WINNER_COLUMNS):
        return None
    try:
        flags = [int(float(record[c])) for c in WINNER_COLUMNS]
    except (TypeError, ValueError):
        bad = next(c for c in WINNER_COLUMNS if not _is_number(record[c]))
        raise RowError(bad, f"expected 0 or 1, got {record[bad]!r}") from None
    if sorted(flags) != [0, 0, 1]:
        raise RowError("winner_model_a", f"winner columns must be one-hot, got {flags}")
    return flags.index(1)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    has_models = "model_a" in raw.columns and "model_b" in raw.columns

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
            "label": _label(record),
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
