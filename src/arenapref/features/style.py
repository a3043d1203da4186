"""Style-control elements per text (sizes and markdown counts) and Arena's normalised (A-B)/(A+B) difference.

The counting itself lives in features/response.py (RE2 patterns run by pyarrow, vectorised); this module gives
the leaderboard's style control the same counts the fast model sees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arenapref.features.response import markdown_counts


def style_counts(texts: pd.Series) -> pd.DataFrame:
    """Counts per text (index kept): chars, words, lines, paragraphs, header, bold, italic, list_bullet,
    list_numbered, list (= bullet + numbered), code_block, inline_code, table_row, link, latex."""
    counts = markdown_counts(texts.reset_index(drop=True))
    counts.index = texts.index
    return counts.astype(np.int64)


def normalised_difference(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    """(a - b) / (a + b), 0 where both are 0: Arena's style-control form, bounded in [-1, 1]."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    total = a + b
    return np.divide(a - b, total, out=np.zeros_like(total), where=total > 0)
