"""Per-response size and markdown statistics (one row per text).

The markdown elements are also the leaderboard's style-control counts (features/style.py calls
markdown_counts). They are RE2 patterns counted by pyarrow, about ten times faster than Python's `re` on long
texts; whitespace and word characters are ASCII, and an italic or inline-code span directly next to another one
is counted once.

Each statistic has two forms: `*_arrays` takes a pyarrow string array and returns a dict of numpy columns (what
the feature builder uses: one conversion, no per-column pandas work, so a single battle is cheap too), and the
DataFrame form wraps it for everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Markdown elements (RE2; (?m): ^ and $ at line breaks).
MARKDOWN_PATTERNS: dict[str, str] = {
    "header": r"(?m)^#{1,6}[ \t]",
    "bold": r"\*\*[^*\n]+\*\*|__[^_\n]+__",
    "italic": r"(?:^|[^*\w])\*[^*\n]+\*(?:[^*]|$)|(?:^|[^_\w])_[^_\n]+_(?:[^_\w]|$)",
    "list_bullet": r"(?m)^[ \t]*[-*+•][ \t]",
    "list_numbered": r"(?m)^[ \t]*[0-9]+[.)][ \t]",
    "code_block": r"```",
    "inline_code": r"(?:^|[^`])`[^`\n]+`(?:[^`]|$)",
    "table_row": r"(?m)^[ \t]*\|.*\|[ \t]*$",
    "link": r"\[[^\]\n]+\]\([^)\s]+\)|https?://\S+",
    "latex": r"\$\$|\\\(|\\\[|\\frac|\\sum",
}
#: Size counts: compared through log and normalised differences, as Arena's style control does.
SIZE_COLUMNS: tuple[str, ...] = ("chars", "words", "lines", "paragraphs", "turns")
MARKDOWN_COLUMNS: tuple[str, ...] = tuple(MARKDOWN_PATTERNS)
#: Characters a finished answer ends with; anything else suggests a cut-off text.
CLOSING = ".!?)]}\"'`*:>|。！？"
_CLOSING = pa.array(list(CLOSING), type=pa.large_string())
Columns: TypeAlias = dict[str, np.ndarray]
#: Turn lists of battle sides (None for a side without turns).
TurnLists: TypeAlias = Sequence[list[str | None] | None] | pd.Series


Texts: TypeAlias = pd.Series | list[str] | pa.Array


def arrow_texts(texts: Texts) -> pa.Array:
    """The texts as a pyarrow large_string array without nulls (None as empty)."""
    if isinstance(texts, pa.Array):
        if texts.type != pa.large_string():
            texts = texts.cast(pa.large_string())
        return pc.fill_null(texts, "") if texts.null_count else texts
    if isinstance(texts, list):
        return pa.array(texts, type=pa.large_string())
    return pa.array(texts.fillna("").astype(str).tolist(), type=pa.large_string())


def count(arrow: pa.Array, pattern: str) -> np.ndarray:
    """Non-overlapping matches of an RE2 pattern per text."""
    return np.array(pc.count_substring_regex(arrow, pattern).to_numpy(), dtype=np.int64)


def markdown_arrays(arrow: pa.Array) -> Columns:
    """Sizes (chars, words, lines, paragraphs) and markdown element counts per text; list = bullet + numbered."""
    chars = np.asarray(pc.utf8_length(arrow).to_numpy(), dtype=np.int64)
    present = (chars > 0).astype(np.int64)
    out = {
        "chars": chars,
        "words": count(arrow, r"[^ \t\n\r\f\v]+"),
        "lines": count(arrow, r"\n") + present,
        "paragraphs": count(arrow, r"\n[ \t\r\f\v]*\n") + present,
    }
    out.update({name: count(arrow, pattern) for name, pattern in MARKDOWN_PATTERNS.items()})
    out["code_block"] //= 2
    out["list"] = out["list_bullet"] + out["list_numbered"]
    return out


def markdown_counts(texts: pd.Series) -> pd.DataFrame:
    """markdown_arrays of a Series of texts, as a DataFrame (one row per text, positional index)."""
    return pd.DataFrame(markdown_arrays(arrow_texts(texts)))


def turn_arrays(turns: TurnLists) -> Columns:
    """Per battle side: non-empty turns, turns that are None (null) and whether every turn is empty."""
    lists = pa.array([t if t is not None else [] for t in turns], type=pa.list_(pa.large_string()))
    flat = pc.list_flatten(lists)
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy())
    filled = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(flat)), 0), False))
    null = np.asarray(flat.is_null().to_numpy(zero_copy_only=False))
    n = len(lists)
    counts = np.bincount(parent, weights=filled, minlength=n).astype(np.int64)
    return {
        "turns": counts,
        "null_turns": np.bincount(parent, weights=null, minlength=n).astype(np.int64),
        "empty": (counts == 0).astype(np.int64),
    }


def turn_counts(turns: pd.Series) -> pd.DataFrame:
    """turn_arrays as a DataFrame (positional index)."""
    return pd.DataFrame(turn_arrays(turns))


def response_arrays(arrow: pa.Array, turns: TurnLists, markdown: Columns | None = None) -> Columns:
    """Sizes (chars, words, lines, paragraphs, turns), markdown counts, null turns, emptiness, mean word and line
    lengths, and whether the text ends without closing punctuation (a cut-off answer). `markdown`: the texts'
    markdown_arrays when already computed."""
    style = markdown if markdown is not None else markdown_arrays(arrow)
    counts = turn_arrays(turns)
    out = {name: style[name] for name in SIZE_COLUMNS if name in style}
    out["turns"] = counts["turns"]
    out.update({name: style[name] for name in MARKDOWN_COLUMNS})
    out["null_turns"] = counts["null_turns"]
    out["empty"] = counts["empty"]
    out["mean_word_chars"] = _ratio(out["chars"], out["words"])
    out["mean_line_words"] = _ratio(out["words"], out["lines"])
    stripped = pc.utf8_rtrim_whitespace(arrow)
    last = pc.utf8_slice_codeunits(stripped, -1)
    closed = np.asarray(pc.is_in(last, value_set=_CLOSING).to_numpy(zero_copy_only=False), dtype=bool)
    out["ends_open"] = ((np.asarray(pc.utf8_length(stripped).to_numpy()) > 0) & ~closed).astype(np.int64)
    return out


def response_stats(texts: pd.Series, turns: pd.Series) -> pd.DataFrame:
    """response_arrays of a Series of texts and their turn lists, as a DataFrame (positional index)."""
    return pd.DataFrame(response_arrays(arrow_texts(texts), turns))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    n, d = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(n, d, out=np.zeros_like(n), where=d > 0)
