"""Coercion of raw field values into lists of turns, counting every repair in the report."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from arenapref.data.report import ReadReport
from arenapref.data.text import fix_surrogates

Turns = list[str | None]
_BAD_ESCAPE = re.compile(r'\\(?![\\/"bfnrtu])|\\u(?![0-9a-fA-F]{4})')


class FieldError(ValueError):
    """A field value that cannot be turned into turns; the reader drops the row and names the field."""


def parse_json_list(text: Any, report: ReadReport) -> Turns:
    """A JSON list of strings (Kaggle's prompt/response fields) as turns; repairs broken escapes."""
    if text is None or (isinstance(text, float) and text != text):
        raise FieldError("missing value")
    if not isinstance(text, str):
        raise FieldError(f"expected a JSON list of strings as text, got {type(text).__name__}")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(text)  # lone surrogates in \u escapes parse here
        except json.JSONDecodeError:
            fixed = _BAD_ESCAPE.sub(r"\\\\", text)
            try:
                value = json.loads(fixed)
            except json.JSONDecodeError as exc:
                raise FieldError(f"invalid JSON list: {exc}") from None
            report.repair("broken backslash escape fixed")
    if isinstance(value, str):
        report.repair("bare string wrapped as one turn")
        value = [value]
    if not isinstance(value, list):
        raise FieldError(f"expected a JSON list of strings, got {type(value).__name__}")
    return clean_turns(value, report)


def clean_turns(values: list[Any], report: ReadReport) -> Turns:
    """Strings kept (lone surrogates replaced), None kept and counted, other scalars stringified and counted."""
    out: Turns = []
    for v in values:
        if v is None:
            report.repair("null turn kept as None")
            out.append(None)
        elif isinstance(v, str):
            fixed, n = fix_surrogates(v)
            report.repair("lone surrogate replaced", n)
            out.append(fixed)
        elif isinstance(v, (int, float, bool)):
            report.repair("non-string turn converted to text")
            out.append(str(v))
        else:
            raise FieldError(f"turn of type {type(v).__name__} is not text")
    return out


def text_turn(value: Any, report: ReadReport) -> Turns:
    """A single text field as a one-turn list (None when missing)."""
    if value is None or (isinstance(value, float) and value != value):
        report.repair("null turn kept as None")
        return [None]
    if not isinstance(value, str):
        raise FieldError(f"expected text, got {type(value).__name__}")
    fixed, n = fix_surrogates(value)
    report.repair("lone surrogate replaced", n)
    return [fixed]


def pad_to(turns: Turns, n: int) -> Turns:
    """Extend with None up to n turns."""
    return turns + [None] * (n - len(turns))
