"""Row-wise conversion helper for readers: one function per row, bad rows dropped into the report by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from arenapref.data.report import ReadReport
from arenapref.data.schema import conform, empty_battles
from arenapref.data.turns import FieldError


class RowError(FieldError):
    """A row that cannot be read, naming the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"field {field!r}: {message}")


def in_field(field: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Call fn(*args), re-raising a FieldError as a RowError that names `field`."""
    try:
        return fn(*args)
    except RowError:
        raise
    except FieldError as exc:
        raise RowError(field, str(exc)) from None


def row_numbers(raw: pd.DataFrame) -> list[int]:
    """1-based row numbers as a person finds them in the file."""
    if "__row" in raw.columns:
        return [int(r) for r in raw["__row"]]
    offset = int(raw.attrs.get("row_offset", 1))
    return list(range(offset, offset + len(raw)))


def convert_rows(
    raw: pd.DataFrame, report: ReadReport, build: Callable[[dict[str, Any], int], dict[str, Any]]
) -> pd.DataFrame:
    """Apply build(record, row_number) to each record; a RowError drops the row into the report."""
    out: list[dict[str, Any]] = []
    records = raw.to_dict("records")
    for record, number in zip(records, row_numbers(raw), strict=True):
        report.rows_read += 1
        try:
            battle = build(record, number)
        except RowError as exc:
            report.drop(f"{exc}", f"row {number}")
            continue
        out.append(battle)
    report.rows_kept = len(out)
    if not out:
        return empty_battles()
    return conform(pd.DataFrame.from_records(out))
