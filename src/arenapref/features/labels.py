"""Readable reasons: a short label for every feature name and, where it can, a sentence with the value in units.

A name is resolved, in order, by: the symmetric table (phrases.SYMMETRIC), the builder's grammar over a known
quantity (a_X, b_X, X_diff, X_norm_diff, X_log_diff, X_diff_abs, X_log_diff_abs; phrases.QUANTITIES), the
registered patterns (`register_pattern`: TF-IDF components here; other feature families, e.g. embeddings,
register theirs where they are built), and last a generic fallback whose label says the name is unlabelled
(`explicit` False). tests/test_feature_labels.py requires an explicit label for every feature the fast model
emits, so a new feature without an entry fails there.

Pattern features can share a `group`: their contributions are reported as one reason under the group's name
(TF-IDF components: "wording (TF-IDF)", no sentence, since one component has no meaning of its own).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from arenapref.features.phrases import IDENTICAL, QUANTITIES, SYMMETRIC, Quantity

Sentence = Callable[["re.Match[str]", float], "str | None"]
FORMS = ("_log_diff_abs", "_diff_abs", "_log_diff", "_norm_diff", "_diff")  # longest first
TFIDF_GROUP = "*_tfidf_diff_*"


@dataclass(frozen=True)
class FeatureLabel:
    """How a feature reads: `label` (short), `group` (the reason it is reported under, None when alone) and
    `explicit` (False when only the generic fallback knew it)."""

    feature: str
    label: str
    explicit: bool = True
    group: str | None = None


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    label: str
    group: str | None
    sentence: Sentence | None


_PATTERNS: list[_Pattern] = []
_GROUPS: dict[str, str] = {}


def register_pattern(pattern: str, label: str, group: str | None = None, sentence: Sentence | None = None) -> None:
    """Label every feature whose whole name matches the regex `pattern`. With `group` (a name, e.g. "emb_*"),
    those features are reported together under it, with `label`; `sentence(match, value)` may say the value."""
    _PATTERNS.append(_Pattern(re.compile(pattern), label, group, sentence))
    if group is not None:
        _GROUPS[group] = label
    label_of.cache_clear()


@lru_cache(maxsize=4096)
def label_of(name: str) -> FeatureLabel:
    """The label of a feature (or of a group) name; never fails (unknown names get the marked fallback)."""
    if name in SYMMETRIC:
        return FeatureLabel(name, SYMMETRIC[name][0])
    if name in _GROUPS:
        return FeatureLabel(name, _GROUPS[name], group=name)
    parsed = _parse(name)
    if parsed is not None:
        quantity, form, _ = parsed
        return FeatureLabel(name, quantity.label + _FORM_SUFFIX[form])
    for pattern in _PATTERNS:
        if pattern.regex.fullmatch(name):
            return FeatureLabel(name, pattern.label, group=pattern.group)
    return FeatureLabel(name, f"{name.replace('_', ' ')} (unlabelled feature)", explicit=False)


def sentence(name: str, value: float) -> str | None:
    """The value in words ("A is 58 % longer than B"); None for groups, unknown names and non-finite values."""
    if not math.isfinite(value):
        return None
    if name in SYMMETRIC:
        return _symmetric(name, value)
    parsed = _parse(name)
    if parsed is not None:
        quantity, form, side = parsed
        return _SENTENCES[quantity.kind](quantity, form, side, value)
    for pattern in _PATTERNS:
        match = pattern.regex.fullmatch(name)
        if match:
            return pattern.sentence(match, value) if pattern.sentence else None
    return None


_FORM_SUFFIX = {
    "side": "",
    "_diff": ", difference",
    "_norm_diff": ", relative difference",
    "_log_diff": ", ratio",
    "_diff_abs": ", how different",
    "_log_diff_abs": ", how different",
}


def _parse(name: str) -> tuple[Quantity, str, str] | None:
    """(quantity, form, side) of a grammar name: form "side" with side "A"/"B", or a comparison form."""
    if name[:2] in ("a_", "b_") and name[2:] in QUANTITIES:
        return QUANTITIES[name[2:]], "side", name[0].upper()
    for form in FORMS:
        if name.endswith(form) and name[: -len(form)] in QUANTITIES:
            return QUANTITIES[name[: -len(form)]], form, ""
    return None


# ---- numbers ----------------------------------------------------------------------------------------------
def _n(value: float) -> str:
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-6 else f"{value:,.1f}"


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def _noun(q: Quantity, value: float) -> str:
    return q.noun[0] if _n(value) == "1" else q.noun[1]


def _sides(value: float) -> tuple[str, str]:
    return ("A", "B") if value > 0 else ("B", "A")


def _ratio(q: Quantity, s: str, o: str, ratio: float, plus_one: bool) -> str:
    """`s` against `o` as a ratio. `plus_one`: the ratio is of the counts plus one (the log forms, log1p a -
    log1p b), said so: it is not the ratio of the counts ("hello" against "yo": 6 / 3, not 5 / 2), so a sentence
    from a log form never reads as disagreeing with one from the exact ratio (the normalised difference)."""
    basis = f" ({_plus_one(q)})" if plus_one else ""
    if ratio >= 10:
        if q.longer:
            return f"{s} is {ratio:.0f} times as long as {o}{basis}"
        return f"{s} has {ratio:.0f} times as many {q.noun[1]} as {o}{basis}"
    more = f"{100 * (ratio - 1):.0f} %"
    if q.longer:
        return f"{s} is {more} {q.longer} than {o}{basis}"
    return f"{s} has {more} more {q.noun[1]} than {o}{basis}"


def _plus_one(q: Quantity) -> str:
    return f"{q.noun[0]} counts plus one"


def _same(q: Quantity) -> str:
    return "A and B are the same length" if q.longer else f"A and B have as many {q.noun[1]}"


# ---- sentences per kind --------------------------------------------------------------------------------------
def _size(q: Quantity, form: str, side: str, v: float) -> str:
    if form == "side":
        return f"{side} has {_n(v)} {_noun(q, v)}"
    if form == "_norm_diff":
        if abs(v) >= 1:
            return f"{_sides(v)[1]} has no {q.noun[1]}"
        ratio = (1 + abs(v)) / (1 - abs(v))
        plus_one = False
    else:  # log1p differences: the ratio of (count + 1)
        ratio, plus_one = math.exp(abs(v)), True
    if round(100 * (ratio - 1)) == 0:
        return _same(q)
    if form.endswith("_abs"):
        return _ratio(q, "one", "the other", ratio, plus_one)
    return _ratio(q, *_sides(v), ratio, plus_one)


def _count(q: Quantity, form: str, side: str, v: float) -> str:
    if form == "side":
        return f"{side} has {_n(v)} {_noun(q, v)}"
    if _n(abs(v)) == "0":
        return f"A and B have as many {q.noun[1]}"
    s, o = _sides(v)
    if form == "_norm_diff":
        if abs(v) >= 1:
            return f"only {s} has {q.noun[1]}"
        return f"{s} has {_pct((1 + abs(v)) / 2)} of the {q.noun[1]} of both"
    if form == "_diff_abs":
        return f"one has {_n(v)} more {_noun(q, v)} than the other"
    return f"{s} has {_n(abs(v))} more {_noun(q, abs(v))} than {o}"


def _cue(q: Quantity, form: str, side: str, v: float) -> str:
    verb, base = q.verb
    if form == "side":
        return f"{side} {verb} ({_n(v)} {_noun(q, v)})" if v > 0 else f"{side} does not {base}"
    if _n(abs(v)) == "0":
        return f"A and B have as many {q.noun[1]}"
    if form == "_diff_abs":
        return f"one {verb} more than the other ({_n(v)} more {_noun(q, v)})"
    s, o = _sides(v)
    return f"{s} {verb} more than {o} ({_n(abs(v))} more {_noun(q, abs(v))})"


def _flag(q: Quantity, form: str, side: str, v: float) -> str:
    holds, fails = q.verb
    if form == "side":
        return f"{side} {holds}" if v >= 0.5 else f"{side} {fails}"
    if abs(v) < 0.5:
        return f"A and B do not differ here ({q.label})"
    if form == "_diff_abs":
        return f"only one of them {holds}"
    s, o = _sides(v)
    return f"{s} {holds}; {o} {fails}"


def _share(q: Quantity, form: str, side: str, v: float) -> str:
    side_text, diff_text = q.text
    if form == "side":
        return side_text.format(S=side, pct=_pct(v))
    points = f"{100 * abs(v):.0f}"
    if points == "0":
        return f"A and B do not differ here ({q.label})"
    if form == "_diff_abs":
        return f"A and B differ by {points} percentage points ({q.label})"
    s, o = _sides(v)
    return diff_text.format(S=s, O=o) + f" ({points} percentage points)"


def _mean(q: Quantity, form: str, side: str, v: float) -> str:
    side_text, diff_text = q.text
    if form == "side":
        return side_text.format(S=side, x=f"{v:.3g}")
    if f"{abs(v):.2g}" == "0":
        return f"A and B do not differ here ({q.label})"
    if form == "_diff_abs":
        return f"A and B differ by {abs(v):.3g} {q.short} ({q.label})"
    s, o = _sides(v)
    return diff_text.format(S=s, O=o, x=f"{abs(v):.3g}")


def _vs_prompt(q: Quantity, form: str, side: str, v: float) -> str:
    ratio = math.exp(v)  # (chars + 1) / (prompt chars + 1): said as such, as the log forms are (_ratio)
    if ratio >= 10:
        return f"{side} is {ratio:.0f} times as long as the prompt ({_plus_one(q)})"
    if round(100 * abs(ratio - 1)) == 0:
        return f"{side} is as long as the prompt"
    if ratio >= 1:
        return f"{side} is {100 * (ratio - 1):.0f} % longer than the prompt ({_plus_one(q)})"
    return f"{side} is {100 * (1 - ratio):.0f} % shorter than the prompt ({_plus_one(q)})"


_SENTENCES: dict[str, Callable[[Quantity, str, str, float], str]] = {
    "size": _size,
    "count": _count,
    "cue": _cue,
    "flag": _flag,
    "share": _share,
    "mean": _mean,
    "vs_prompt": _vs_prompt,
}


def _symmetric(name: str, v: float) -> str:
    if name == "identical":
        return IDENTICAL[0] if v >= 0.5 else IDENTICAL[1]
    template = SYMMETRIC[name][1]
    return template.format(n=_n(v), s="" if _n(v) == "1" else "s", pct=_pct(v), x=f"{v:.2f}")


register_pattern(r"(?:word|char)_tfidf_diff_\d+", "wording (TF-IDF)", group=TFIDF_GROUP)


# Embedding pair features (features/embed_pairs.py), used by the embed models.
def _cos_side(match: re.Match[str], v: float) -> str:
    return (
        f"{match.group(1).upper()}'s meaning is {'close to' if v >= 0.5 else 'far from'} the prompt's (cosine {v:.2f})"
    )


def _cos_diff(match: re.Match[str], v: float) -> str | None:
    if match.group(1):
        return None
    closer, other = ("A", "B") if v >= 0 else ("B", "A")
    return f"{closer} is closer to the prompt in meaning than {other} (cosine {abs(v):+.2f})"


def _cos_ab(match: re.Match[str], v: float) -> str:
    return f"A and B {'say much the same' if v >= 0.8 else 'differ in what they say'} (cosine {v:.2f})"


register_pattern(r"([ab])_emb_cos_prompt", "closeness to the prompt's meaning (embedding cosine)", sentence=_cos_side)
register_pattern(
    r"emb_cos_prompt_diff(_abs)?", "closeness to the prompt, A vs B (embedding cosine)", sentence=_cos_diff
)
register_pattern(r"emb_cos_ab", "how alike A and B are in meaning (embedding cosine)", sentence=_cos_ab)
register_pattern(r"emb_(?:prompt_x_)?diff_pc\d+", "meaning of A vs B (embedding components)", group="emb_meaning_*")
register_pattern(r"emb_prompt_pc\d+", "kind of prompt (embedding components)", group="emb_prompt_*")
