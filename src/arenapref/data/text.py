"""Text repair shared by the readers: lone UTF-16 surrogates and other broken escapes."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def fix_surrogates(text: str) -> tuple[str, int]:
    """Replace lone surrogates (which cannot be encoded as UTF-8) with U+FFFD; return text and count."""
    if text.isascii():
        return text, 0
    try:
        text.encode("utf-8")  # fails only on surrogates, and is much faster than the regex scan
    except UnicodeEncodeError:
        return _SURROGATE.subn(REPLACEMENT, text)
    return text, 0
