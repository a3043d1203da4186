"""Text repair shared by the readers: lone UTF-16 surrogates and other broken escapes."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def fix_surrogates(text: str) -> tuple[str, int]:
    """Replace lone surrogates (which cannot be encoded as UTF-8) with U+FFFD; return text and count."""
    if text.isascii():
        return text, 0
    fixed, n = _SURROGATE.subn(REPLACEMENT, text)
    return fixed, n
