"""Small field helpers shared by the readers: ids, single-turn text sides, optional text fields, label lookups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from arenapref.data.readers.messages import is_missing
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, in_field
from arenapref.data.turns import Turns, text_turn


def row_id(record: dict[str, Any], key: str | None, source: str, number: int) -> str:
    """The record's own id (`key`) when it has one, else f"{source}-{row number}"."""
    value = record.get(key) if key else None
    if is_missing(value):
        return f"{source}-{number}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def optional_str(record: dict[str, Any], field: str) -> str | None:
    """A text field that may be absent (None); any other type is an error naming the field."""
    value = record.get(field)
    if is_missing(value):
        return None
    if not isinstance(value, str):
        raise RowError(field, f"expected text, got {type(value).__name__}")
    return value


def lookup(record: dict[str, Any], field: str, mapping: Mapping[Any, Any]) -> Any:
    """mapping[record[field]], or a RowError naming the field and the accepted values."""
    value = record.get(field)
    if is_missing(value):
        raise RowError(field, "missing value")
    try:
        return mapping[value]
    except (KeyError, TypeError):
        accepted = ", ".join(repr(k) for k in mapping)
        raise RowError(field, f"expected one of {accepted}, got {value!r}") from None


def text_sides(record: dict[str, Any], report: ReadReport, prompt: str, a: str, b: str) -> dict[str, Turns]:
    """prompt / response_a / response_b as one-turn lists from three text fields (errors name the field)."""
    return {
        "prompt": in_field(prompt, text_turn, record.get(prompt), report),
        "response_a": in_field(a, text_turn, record.get(a), report),
        "response_b": in_field(b, text_turn, record.get(b), report),
    }
