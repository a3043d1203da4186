"""Style control's covariates: normalised A-B differences of length, markdown headers, list items and bold spans,
each scaled to unit standard deviation (not centred), as in LMSYS's "Does style matter?" analysis. As in LMSYS's
code (FastChat's `remove_pattern`), markdown is counted with fenced code blocks removed, so `#` comments and `**`
inside code are not style; length counts every character."""

from __future__ import annotations

import numpy as np
import pandas as pd

from arenapref.features.style import normalised_difference, style_counts
from arenapref.features.text import side_text

#: Style elements (LMSYS's names) and the style_counts column each one reads.
STYLE_ELEMENTS: dict[str, str] = {"length": "chars", "header": "header", "list": "list", "bold": "bold"}
#: LMSYS's published style coefficients (blog "Does Style Matter?", 2024), per standard deviation.
LMSYS_STYLE_COEFFICIENTS: dict[str, float] = {"length": 0.249, "list": 0.031, "header": 0.024, "bold": 0.019}
#: A fenced code block as LMSYS removes it before counting markdown: "```([^`]*)```".
CODE_BLOCK = r"```[^`]*```"


def element_counts(texts: pd.Series) -> pd.DataFrame:
    """Per text, the style_counts columns STYLE_ELEMENTS reads: length over the whole text, markdown outside code."""
    counts = style_counts(texts.str.replace(CODE_BLOCK, "", regex=True))
    counts["chars"] = texts.str.len().astype(np.int64)
    return counts


def style_covariates(battles: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
    """(n, k) normalised A-B style differences scaled to unit SD, their names, and notes on elements left out."""
    counts_a = element_counts(side_text(battles, "response_a"))
    counts_b = element_counts(side_text(battles, "response_b"))
    columns, names, notes = [], [], []
    for name, column in STYLE_ELEMENTS.items():
        diff = normalised_difference(counts_a[column], counts_b[column])
        sd = float(diff.std())
        if sd > 0:
            columns.append(diff / sd)
            names.append(name)
        else:
            notes.append(f"style element {name!r} never differs between the two answers: left out")
    matrix = np.column_stack(columns) if columns else np.zeros((len(battles), 0))
    return matrix, names, notes
