"""Content cues per response: refusals, disclaimers, questions back, repetition, digits and script share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from arenapref.features.response import arrow_texts, count

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


def content_cues(texts: pd.Series) -> pd.DataFrame:
    """Cue counts, whether the text ends with a question, duplicated-line share and character-class shares."""
    s = texts.fillna("").astype(str).reset_index(drop=True)
    arrow = arrow_texts(s)
    out = pd.DataFrame({name: count(arrow, pattern) for name, pattern in CUE_PATTERNS.items()}, index=s.index)
    out["ends_with_question"] = s.str.rstrip().str.endswith("?").astype(np.int64)
    out["repeated_lines"] = repeated_line_share(s)
    shares = character_shares(s)
    for name in shares.columns:
        out[name] = shares[name]
    return out


def repeated_line_share(texts: pd.Series) -> np.ndarray:
    """Share of a text's non-empty lines that repeat an earlier line of the same text (0 for no lines)."""
    lines = texts.reset_index(drop=True).str.split("\n").explode().str.strip()
    lines = lines[lines.str.len() > 0]
    frame = pd.DataFrame({"row": lines.index.to_numpy(), "line": lines.to_numpy()})
    repeated = frame.duplicated(["row", "line"]).groupby(frame["row"]).mean()
    return repeated.reindex(range(len(texts)), fill_value=0.0).to_numpy(dtype=float)


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


def character_shares(texts: pd.Series) -> pd.DataFrame:
    """Digit share of characters, non-Latin share of letters, upper-case share of letters, emoji count.

    Vectorised over code points: texts are concatenated (in chunks) and classified with numpy.
    """
    s = texts.fillna("").astype(str).reset_index(drop=True)
    lengths = s.str.len().to_numpy()
    sums = {key: np.zeros(len(s)) for key in ("digit", "latin", "non_latin", "upper", "emoji")}
    start = 0
    while start < len(s):
        stop = start + max(1, int(np.searchsorted(np.cumsum(lengths[start:]), _CHUNK_CHARS)))
        stop = min(stop, len(s))
        codes = np.frombuffer("".join(s.iloc[start:stop]).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        row = np.repeat(np.arange(stop - start), lengths[start:stop])
        for key, mask in _code_point_ranges(codes).items():
            sums[key][start:stop] = np.bincount(row, weights=mask, minlength=stop - start)
        start = stop
    letters = sums["latin"] + sums["non_latin"]
    return pd.DataFrame(
        {
            "digit_share": _ratio(sums["digit"], lengths),
            "non_latin_share": _ratio(sums["non_latin"], letters),
            "upper_share": _ratio(sums["upper"], letters),
            "emoji": sums["emoji"],
        }
    )


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)
