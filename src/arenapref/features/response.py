"""Per-response size and markdown statistics (one row per text).

The markdown elements are also the leaderboard's style-control counts (features/style.py calls
markdown_counts). They are RE2 patterns counted by pyarrow, about ten times faster than Python's `re` on long
texts; whitespace and word characters are ASCII, and an italic or inline-code span directly next to another one
is counted once.
"""

from __future__ import annotations

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


def arrow_texts(texts: pd.Series) -> pa.Array:
    """The texts as a pyarrow string array (None as empty)."""
    return pa.array(texts.fillna("").astype(str).tolist(), type=pa.large_string())


def count(arrow: pa.Array, pattern: str) -> np.ndarray:
    """Non-overlapping matches of an RE2 pattern per text."""
    return np.asarray(pc.count_substring_regex(arrow, pattern).to_numpy(), dtype=np.int64)


def markdown_counts(texts: pd.Series) -> pd.DataFrame:
    """Sizes (chars, words, lines, paragraphs) and markdown element counts per text; list = bullet + numbered."""
    arrow = arrow_texts(texts)
    chars = np.asarray(pc.utf8_length(arrow).to_numpy(), dtype=np.int64)
    present = (chars > 0).astype(np.int64)
    out = pd.DataFrame(
        {
            "chars": chars,
            "words": count(arrow, r"[^ \t\n\r\f\v]+"),
            "lines": count(arrow, r"\n") + present,
            "paragraphs": count(arrow, r"\n[ \t\r\f\v]*\n") + present,
        }
    )
    for name, pattern in MARKDOWN_PATTERNS.items():
        out[name] = count(arrow, pattern)
    out["code_block"] //= 2
    out["list"] = out["list_bullet"] + out["list_numbered"]
    return out


def turn_counts(turns: pd.Series) -> pd.DataFrame:
    """Per battle side: non-empty turns, turns that are None (null) and whether every turn is empty."""
    lists = turns.map(lambda t: t if t is not None else [])
    flat = lists.explode()
    filled = flat.map(lambda x: isinstance(x, str) and len(x.strip()) > 0)
    null = flat.isna() & (lists.str.len().reindex(flat.index) > 0)
    out = pd.DataFrame(
        {
            "turns": filled.groupby(level=0).sum(),
            "null_turns": null.groupby(level=0).sum(),
        }
    ).reindex(turns.index, fill_value=0)
    out["empty"] = out["turns"] == 0
    return out.astype(np.int64).reset_index(drop=True)


def response_stats(texts: pd.Series, turns: pd.Series) -> pd.DataFrame:
    """Sizes (chars, words, lines, paragraphs, turns), markdown counts, null turns, emptiness, mean word and line
    lengths, and whether the text ends without closing punctuation (a cut-off answer)."""
    style = markdown_counts(texts.reset_index(drop=True))
    counts = turn_counts(turns)
    out = pd.concat([style[["chars", "words", "lines", "paragraphs"]], counts[["turns"]]], axis=1)
    for name in MARKDOWN_COLUMNS:
        out[name] = style[name]
    out["null_turns"] = counts["null_turns"]
    out["empty"] = counts["empty"]
    out["mean_word_chars"] = _ratio(out["chars"], out["words"])
    out["mean_line_words"] = _ratio(out["words"], out["lines"])
    stripped = texts.reset_index(drop=True).fillna("").astype(str).str.rstrip()
    out["ends_open"] = ((stripped.str.len() > 0) & ~stripped.str.slice(-1).isin(list(CLOSING))).astype(np.int64)
    return out


def _ratio(num: pd.Series, den: pd.Series) -> np.ndarray:
    n, d = num.to_numpy(dtype=float), den.to_numpy(dtype=float)
    return np.divide(n, d, out=np.zeros_like(n), where=d > 0)
