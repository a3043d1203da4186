"""Content cues per response: refusals, disclaimers, questions back, repetition, digits and script share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from arenapref.features.response import Columns, Texts, arrow_texts, count

_APOS = "['’]"
#: Phrase patterns counted per text (RE2 syntax, run by pyarrow: linear time; \b is an ASCII word boundary).
CUE_PATTERNS: dict[str, str] = {
    "refusal": (
        rf"(?i)\bI(?:\s+(?:cannot|can{_APOS}?t|can not|won{_APOS}t|will not|must decline|am unable|am not able)"
        rf"|{_APOS}m (?:unable|not able))\b"
    ),
    "apology": rf"(?i)\bI{_APOS}m sorry\b|\bI am sorry\b|\bI apologi[sz]e\b|\bmy apologies\b|\bsorry, but\b",
    "ai_disclaimer": (
        r"(?i)\bas an? (?:AI|artificial intelligence|(?:large )?language model)\b"
        rf"|\bI(?:{_APOS}m| am) (?:just |only )?an? (?:AI|(?:large )?language model)\b"
        rf"|\bI do(?:n{_APOS}t| not) have (?:personal|feelings|emotions|opinions|the ability|access)\b"
    ),
    "caveat": (
        rf"(?i)\b(?:it is important to|it{_APOS}s important to|please note|keep in mind|consult (?:a|an|with)"
        r"|disclaimer|I recommend)\b"
    ),
    "question": r"\?",
    "exclamation": r"!",
}

_CHUNK_CHARS = 20_000_000


def cue_arrays(arrow: pa.Array) -> Columns:
    """Cue counts, whether the text ends with a question, duplicated-line share and character-class shares."""
    out = {name: count(arrow, pattern) for name, pattern in CUE_PATTERNS.items()}
    ends = pc.ends_with(pc.utf8_rtrim_whitespace(arrow), "?")
    out["ends_with_question"] = np.asarray(ends.to_numpy(zero_copy_only=False), dtype=np.int64)
    out["repeated_lines"] = repeated_line_share(arrow)
    out.update(character_share_arrays(arrow))
    return out


def content_cues(texts: pd.Series) -> pd.DataFrame:
    """cue_arrays of a Series of texts, as a DataFrame (positional index)."""
    return pd.DataFrame(cue_arrays(arrow_texts(texts)))


def repeated_line_share(texts: Texts) -> np.ndarray:
    """Share of a text's non-empty lines that repeat an earlier line of the same text (0 for no lines)."""
    arrow = arrow_texts(texts)
    lines = pc.split_pattern(arrow, "\n")
    stripped = pc.utf8_trim_whitespace(pc.list_flatten(lines))
    keep = _flags(pc.greater(pc.utf8_length(stripped), 0))
    row = np.asarray(pc.list_parent_indices(lines).to_numpy())[keep]
    code = np.asarray(pc.dictionary_encode(stripped).indices.to_numpy(zero_copy_only=False), dtype=np.int64)[keep]
    distinct_keys = np.unique(row * (int(code.max(initial=0)) + 1) + code) // (int(code.max(initial=0)) + 1)
    total = np.bincount(row, minlength=len(arrow))
    return _ratio(total - np.bincount(distinct_keys, minlength=len(arrow)), total)


def _flags(mask: pa.Array) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _code_point_ranges(codes: np.ndarray) -> dict[str, np.ndarray]:
    ascii_letter = ((codes >= 65) & (codes <= 90)) | ((codes >= 97) & (codes <= 122))
    latin_extra = (codes >= 0xC0) & (codes <= 0x24F) & (codes != 0xD7) & (codes != 0xF7)
    non_latin = (
        ((codes >= 0x370) & (codes <= 0x1FFF))  # Greek, Cyrillic, Hebrew, Arabic, Indic, ... scripts
        | ((codes >= 0x2E80) & (codes <= 0xD7FF))  # CJK, kana, Hangul
        | ((codes >= 0xF900) & (codes <= 0xFAFF))
        | ((codes >= 0x20000) & (codes <= 0x3FFFF))
    )
    return {
        "digit": (codes >= 48) & (codes <= 57),
        "latin": ascii_letter | latin_extra,
        "non_latin": non_latin,
        "upper": (codes >= 65) & (codes <= 90),
        "emoji": (codes >= 0x1F300) & (codes <= 0x1FAFF),
    }


def character_share_arrays(arrow: pa.Array) -> Columns:
    """Digit share of characters, non-Latin share of letters, upper-case share of letters, emoji count.

    Vectorised over code points: texts are concatenated (in chunks) and classified with numpy.
    """
    lengths = np.asarray(pc.utf8_length(arrow).to_numpy(), dtype=np.int64)
    sums = {key: np.zeros(len(arrow)) for key in ("digit", "latin", "non_latin", "upper", "emoji")}
    start = 0
    while start < len(arrow):
        stop = start + max(1, int(np.searchsorted(np.cumsum(lengths[start:]), _CHUNK_CHARS)))
        stop = min(stop, len(arrow))
        codes = np.frombuffer(_utf8_bytes(arrow.slice(start, stop - start)).decode().encode("utf-32-le"), np.uint32)
        row = np.repeat(np.arange(stop - start), lengths[start:stop])
        for key, mask in _code_point_ranges(codes).items():
            sums[key][start:stop] = np.bincount(row, weights=mask, minlength=stop - start)
        start = stop
    letters = sums["latin"] + sums["non_latin"]
    return {
        "digit_share": _ratio(sums["digit"], lengths),
        "non_latin_share": _ratio(sums["non_latin"], letters),
        "upper_share": _ratio(sums["upper"], letters),
        "emoji": sums["emoji"],
    }


def _utf8_bytes(arrow: pa.Array) -> bytes:
    """The UTF-8 text of all strings of a (null-free) string array, concatenated, straight from its data buffer."""
    offsets = np.frombuffer(arrow.buffers()[1], dtype=np.int64)[arrow.offset : arrow.offset + len(arrow) + 1]
    data = arrow.buffers()[2]
    if data is None or len(offsets) < 2:
        return b""
    return data.slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()


def character_shares(texts: pd.Series) -> pd.DataFrame:
    """character_share_arrays of a Series of texts, as a DataFrame (positional index)."""
    return pd.DataFrame(character_share_arrays(arrow_texts(texts)))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)
