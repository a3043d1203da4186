"""Helpers for the report and leaderboard CLI tests: run the real entry point in-process; write predictions."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.submission import write_submission
from arenapref.data.swap import swap
from arenapref.features.style import normalised_difference
from arenapref.features.text import side_text
from cli_support import run  # noqa: F401  (re-exported for the report and leaderboard tests)


def length_proba(battles: pd.DataFrame) -> np.ndarray:
    """Predictions that favour the longer answer: P(tie) 0.2, the rest split by a logistic of the length gap."""
    d = normalised_difference(side_text(battles, "response_a").str.len(), side_text(battles, "response_b").str.len())
    p_a = 0.8 / (1 + np.exp(-3 * d))
    return np.column_stack([p_a, 0.8 - p_a, np.full(len(d), 0.2)])


def write_predictions(battles: pd.DataFrame, directory: Path) -> tuple[Path, Path]:
    """Kaggle-format predictions of length_proba on the battles and on the swapped battles."""
    pred = write_submission(battles["id"], length_proba(battles), directory / "pred.csv")
    swapped = write_submission(battles["id"], length_proba(swap(battles)), directory / "pred_swapped.csv")
    return pred, swapped


def image_sources(html: str) -> list[str]:
    return re.findall(r'<img[^>]* src="([^"]*)"', html)
