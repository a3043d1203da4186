"""Markdown and size counts per text, vectorised with pandas string methods (the style-control elements)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Regular expressions counted per text (multiline), as LMSYS's style control counts markdown elements.
PATTERNS: dict[str, str] = {
    "header": r"(?m)^#{1,6}\s",
    "bold": r"\*\*[^*\n]+\*\*|__[^_\n]+__",
    "italic": r"(?<![*\w])\*[^*\n]+\*(?!\*)|(?<![_\w])_[^_\n]+_(?!_)",
    "list_bullet": r"(?m)^\s*[-*+•]\s",
    "list_numbered": r"(?m)^\s*\d+[.)]\s",
    "code_block": r"```",
    "inline_code": r"(?<!`)`[^`\n]+`(?!`)",
    "table_row": r"(?m)^\s*\|.*\|\s*$",
    "link": r"\[[^\]\n]+\]\([^)\s]+\)|https?://\S+",
    "latex": r"\$\$|\\\(|\\\[|\\frac|\\sum",
}


def style_counts(texts: pd.Series) -> pd.DataFrame:
    """Counts per text: chars, words, lines, paragraphs and each markdown pattern; list = bullet + numbered."""
    s = texts.fillna("").astype(str)
    out = pd.DataFrame(index=s.index)
    out["chars"] = s.str.len()
    out["words"] = s.str.count(r"\S+")
    out["lines"] = s.str.count("\n") + (out["chars"] > 0)
    out["paragraphs"] = s.str.count(r"\n\s*\n") + (out["chars"] > 0)
    for name, pattern in PATTERNS.items():
        out[name] = s.str.count(pattern)
    out["code_block"] //= 2
    out["list"] = out["list_bullet"] + out["list_numbered"]
    return out.astype(np.int64)


def normalised_difference(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    """(a - b) / (a + b), 0 where both are 0: Arena's style-control form, bounded in [-1, 1]."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    total = a + b
    return np.divide(a - b, total, out=np.zeros_like(total), where=total > 0)
