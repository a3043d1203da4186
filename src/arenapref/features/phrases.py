"""What each measured quantity is called, and how its value reads as a sentence (the table behind labels.py).

A quantity is the thing measured per response (`chars`, `list_numbered`, `refusal`...); the feature builder
turns it into columns by a fixed grammar (a_X, b_X, X_diff, X_norm_diff, X_log_diff, X_*_abs; see pair.py's
FeatureTable.compare). `kind` says how a value becomes words:
- size: a count compared by ratio (log and normalised differences): "A is 58 % longer than B";
- count: a count compared by difference: "A has 8 more numbered list items than B";
- cue: a count of phrases that says something about the response: "B refuses more than A (1 more refusal phrase)";
- flag: 0 or 1: "A looks cut off (ends without closing punctuation); B does not";
- share: a fraction in [0, 1]: "A has 12 percentage points more digits than B";
- mean: an average, in `short` units: "A's words are 0.8 characters longer on average than B's";
- vs_prompt: a log ratio to the prompt's length, of the counts plus one: "A is 12 times as long as the prompt
  (character counts plus one)".
Symmetric features (one value per battle, not per side) are written out whole in SYMMETRIC.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    """A per-response measurement: its label, its kind and the words for its values."""

    label: str
    kind: str  # size | count | cue | flag | share | mean | vs_prompt
    noun: tuple[str, str] = ("", "")  # singular, plural (size, count, cue)
    verb: tuple[str, str] = ("", "")  # cue: "refuses", "refuse"; flag: what holds, what does not
    short: str = ""  # share: what the share is of ("digits"); mean: the unit ("characters")
    longer: str = ""  # size: "longer" when the count measures length; else "more <plural>"
    text: tuple[str, str] = ("", "")  # share, mean: templates of one side ({S}) and of A - B ({S} > {O})


def _size(label: str, singular: str, plural: str, longer: str = "") -> Quantity:
    return Quantity(label, "size", (singular, plural), longer=longer)


def _count(label: str, singular: str, plural: str) -> Quantity:
    return Quantity(label, "count", (singular, plural))


def _cue(label: str, noun: str, verb: str, base: str) -> Quantity:
    return Quantity(label, "cue", (noun, noun + "s"), (verb, base))


def _flag(label: str, holds: str, fails: str) -> Quantity:
    return Quantity(label, "flag", verb=(holds, fails))


def _share(label: str, side: str, diff: str) -> Quantity:
    """{pct}: the share; a difference adds "(N percentage points)"."""
    return Quantity(label, "share", text=(side, diff))


def _mean(label: str, unit: str, side: str, diff: str) -> Quantity:
    """{x}: the number (of `unit`)."""
    return Quantity(label, "mean", short=unit, text=(side, diff))


QUANTITIES: dict[str, Quantity] = {
    # sizes (features/response.py SIZE_COLUMNS)
    "chars": _size("length (characters)", "character", "characters", longer="longer"),
    "words": _size("length (words)", "word", "words"),
    "lines": _size("lines", "line", "lines"),
    "paragraphs": _size("paragraphs", "paragraph", "paragraphs"),
    "turns": _size("answered turns", "answered turn", "answered turns"),
    # markdown (features/response.py MARKDOWN_PATTERNS)
    "header": _count("headers", "header", "headers"),
    "bold": _count("bold text", "bold span", "bold spans"),
    "italic": _count("italic text", "italic span", "italic spans"),
    "list_bullet": _count("bullet lists", "bullet item", "bullet items"),
    "list_numbered": _count("numbered lists", "numbered list item", "numbered list items"),
    "code_block": _count("code blocks", "code block", "code blocks"),
    "inline_code": _count("inline code", "inline code span", "inline code spans"),
    "table_row": _count("tables", "table row", "table rows"),
    "link": _count("links", "link", "links"),
    "latex": _count("maths (LaTeX)", "LaTeX mark", "LaTeX marks"),
    "null_turns": _count("missing turns", "missing turn", "missing turns"),
    # content cues (features/cues.py)
    "refusal": _cue("refusal", "refusal phrase", "refuses", "refuse"),
    "apology": _cue("apology", "apology phrase", "apologises", "apologise"),
    "ai_disclaimer": _cue("AI disclaimer", "AI disclaimer", "says it is an AI", "say it is an AI"),
    "caveat": _cue("caveats", "caveat phrase", "adds caveats", "add caveats"),
    "question": _count("question marks", "question mark", "question marks"),
    "exclamation": _count("exclamation marks", "exclamation mark", "exclamation marks"),
    "emoji": _count("emoji", "emoji", "emoji"),
    "empty": _flag("empty answer", "is empty", "is not empty"),
    "ends_open": _flag(
        "cut off (no closing punctuation)",
        "looks cut off (ends without closing punctuation)",
        "ends with closing punctuation",
    ),
    "ends_with_question": _flag("ends with a question", "ends with a question", "does not end with a question"),
    "repeated_lines": _share(
        "repeated lines", "{pct} of {S}'s lines repeat an earlier line", "{S} repeats more of its lines than {O}"
    ),
    "digit_share": _share("digits", "{pct} of {S}'s characters are digits", "{S} has more digits than {O}"),
    "non_latin_share": _share(
        "non-Latin script", "{pct} of {S}'s letters are non-Latin", "{S} uses more non-Latin script than {O}"
    ),
    "upper_share": _share("upper case", "{pct} of {S}'s letters are upper case", "{S} uses more upper case than {O}"),
    "unique_word_ratio": _share(
        "vocabulary variety", "{pct} of {S}'s words are distinct", "{S} varies its words more than {O}"
    ),
    "prompt_echo": _share(
        "repeats the prompt", "{S} repeats {pct} of the prompt's words", "{S} repeats the prompt more than {O}"
    ),
    "from_prompt": _share(
        "words from the prompt",
        "{pct} of {S}'s words come from the prompt",
        "{S} takes more of its words from the prompt than {O}",
    ),
    "prompt_cosine": _mean(
        "wording close to the prompt",
        "in TF-IDF cosine to the prompt",
        "{S}'s wording has a TF-IDF cosine similarity of {x} to the prompt",
        "{S}'s wording is closer to the prompt than {O}'s (TF-IDF cosine {x} higher)",
    ),
    "mean_word_chars": _mean(
        "word length",
        "characters per word",
        "{S}'s words average {x} characters",
        "{S}'s words are {x} characters longer on average than {O}'s",
    ),
    "mean_line_words": _mean(
        "line length",
        "words per line",
        "{S}'s lines average {x} words",
        "{S}'s lines have {x} more words on average than {O}'s",
    ),
    "chars_vs_prompt": Quantity("length relative to the prompt", "vs_prompt", ("character", "characters")),
}

#: Features with one value per battle: label and sentence template ({n} a count, {s} its plural ending, {pct} a
#: share, {x} a number).
SYMMETRIC: dict[str, tuple[str, str]] = {
    "ab_jaccard": ("A and B share words", "A and B share {pct} of their distinct words"),
    "ab_cosine_word": ("A and B worded alike", "A and B have a word TF-IDF cosine similarity of {x}"),
    "ab_cosine_char": ("A and B spelled alike", "A and B have a character n-gram TF-IDF cosine similarity of {x}"),
    "identical": ("A and B identical", ""),  # sentence: IDENTICAL
    "prompt_chars": ("prompt length (characters)", "the prompt has {n} character{s}"),
    "prompt_words": ("prompt length (words)", "the prompt has {n} word{s}"),
    "prompt_lines": ("prompt lines", "the prompt has {n} line{s}"),
    "prompt_code_block": ("code in the prompt", "the prompt has {n} code block{s}"),
    "prompt_list": ("list in the prompt", "the prompt has {n} list item{s}"),
    "prompt_inline_code": ("inline code in the prompt", "the prompt has {n} inline code span{s}"),
    "prompt_non_latin_share": ("prompt in non-Latin script", "{pct} of the prompt's letters are non-Latin"),
    "prompt_question": ("questions in the prompt", "the prompt has {n} question mark{s}"),
}
IDENTICAL = ("A and B are the same text", "A and B differ")
