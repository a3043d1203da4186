"""The battle table itself (as written by `write_battles`: parquet, or JSON / CSV with the same columns).

Rows are checked like any other input: list columns made lists (parquet gives arrays), labels 0 / 1 / 2 or
missing, soft labels numbers; a bad row is dropped into the report. Extra columns pass through.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.messages import is_missing
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, convert_rows, in_field
from arenapref.data.schema import COLUMNS, SOFT_COLUMNS
from arenapref.data.turns import FieldError, Turns, clean_turns, pad_to, parse_json_list

TURN_COLUMNS = ("prompt", "response_a", "response_b")
#: How far soft labels may sum from 1 (float32 pseudo-labels round; larger gaps are not probabilities).
SOFT_SUM_TOLERANCE = 1e-3


def turns(value: Any, report: ReadReport) -> Turns:
    """A list column's cell: a list or array of strings, or its JSON text (CSV)."""
    if isinstance(value, str):
        return parse_json_list(value, report)
    if isinstance(value, (list, tuple, np.ndarray)):
        return clean_turns(list(value), report)
    raise FieldError("missing value" if is_missing(value) else f"expected a list, got {type(value).__name__}")


def label(value: Any, field: str = "label") -> int | None:
    if is_missing(value) or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(field, f"expected 0, 1, 2 or empty, got {value!r}") from None
    if number not in (0.0, 1.0, 2.0):
        raise RowError(field, f"expected 0, 1, 2 or empty, got {value!r}")
    return int(number)


def soft_labels(record: dict[str, Any]) -> dict[str, float]:
    """The three soft labels (all NaN when absent): each a probability, all three or none, summing to 1."""
    soft: dict[str, float] = {}
    for c in SOFT_COLUMNS:
        value: Any = record.get(c)
        try:
            soft[c] = np.nan if is_missing(value) or value is pd.NA else float(value)
        except (TypeError, ValueError):
            raise RowError(c, f"expected a probability, got {value!r}") from None
        if not np.isnan(soft[c]) and not 0.0 <= soft[c] <= 1.0:
            raise RowError(c, f"expected a probability in [0, 1], got {value!r}")
    present = [c for c in SOFT_COLUMNS if not np.isnan(soft[c])]
    if present and len(present) < len(SOFT_COLUMNS):
        missing = next(c for c in SOFT_COLUMNS if c not in present)
        raise RowError(missing, f"soft labels need all of {', '.join(SOFT_COLUMNS)}; {missing} is missing")
    total = sum(soft.values())
    if present and abs(total - 1.0) > SOFT_SUM_TOLERANCE:
        raise RowError(SOFT_COLUMNS[0], f"soft labels sum to {total:.6g}, not 1")
    return soft


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    extras = [c for c in raw.columns if c not in COLUMNS and not str(c).startswith("__")]

    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        fields = {c: in_field(c, turns, record.get(c), report) for c in TURN_COLUMNS}
        n = max(len(v) for v in fields.values())
        if len({len(v) for v in fields.values()}) > 1:
            report.repair("unequal turn counts padded with None")
            fields = {c: pad_to(v, n) for c, v in fields.items()}
        if is_missing(record.get("id")):
            raise RowError("id", "missing id")
        soft = soft_labels(record)
        return {
            "id": record["id"],
            "source": source if is_missing(record.get("source")) else record["source"],
            **fields,
            "model_a": None if is_missing(record.get("model_a")) else str(record["model_a"]),
            "model_b": None if is_missing(record.get("model_b")) else str(record["model_b"]),
            "label": label(record.get("label")),
            "tie_allowed": _flag(record.get("tie_allowed")),
            **soft,
            **{c: record.get(c) for c in extras},
        }

    return convert_rows(raw, report, build)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"false", "0", "no", ""}
    return True if is_missing(value) else bool(value)


FORMAT = register(
    Format(
        name="battles",
        signature=frozenset(COLUMNS) - frozenset(SOFT_COLUMNS),
        convert=convert,
        description="arenapref battle table (parquet from `data convert`)",
    )
)
