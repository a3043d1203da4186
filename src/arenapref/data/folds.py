"""Cross-validation folds grouped by prompt (no prompt on both sides), stratified by label."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold


def prompt_groups(df: pd.DataFrame) -> np.ndarray:
    """An integer group per distinct prompt text (all turns, whitespace-normalised)."""
    keys = df["prompt"].map(lambda turns: " ".join(" ".join(t.split()) for t in turns if t).lower())
    return pd.factorize(keys)[0]


def prompt_hash(turns: list[str | None]) -> str:
    """A stable short hash of a prompt, used to place battles deterministically."""
    text = "\x1f".join(t or "" for t in turns)
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]


def _strata(df: pd.DataFrame) -> np.ndarray:
    """The label each battle is stratified by (3 for battles without a hard label)."""
    return df["label"].fillna(3).to_numpy(dtype=int)


def max_folds(df: pd.DataFrame) -> int:
    """The most prompt-grouped stratified folds the battles allow: each fold needs a prompt of its own, and the
    most common label a battle in each fold (scikit-learn's StratifiedGroupKFold)."""
    return min(_fold_limits(df))


def _fold_limits(df: pd.DataFrame) -> tuple[int, int]:
    """(distinct prompts, battles of the most common label)."""
    if not len(df):
        return 0, 0
    return int(prompt_groups(df).max()) + 1, int(np.unique(_strata(df), return_counts=True)[1].max())


def fold_limit(df: pd.DataFrame, n_splits: int) -> str | None:
    """Why the battles cannot make `n_splits` folds (None when they can)."""
    prompts, largest = _fold_limits(df)
    if n_splits <= min(prompts, largest):
        return None
    return (
        f"{len(df):,} battles ({prompts:,} distinct prompts, at most {largest:,} with one label) allow at most "
        f"{min(prompts, largest):,} folds, not {n_splits:,}"
    )


def grouped_folds(df: pd.DataFrame, n_splits: int = 5, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train_idx, test_idx) pairs; every prompt's battles fall on one side only. ValueError (fold_limit's
    reason) when the battles allow fewer folds."""
    problem = fold_limit(df, n_splits)
    if problem is not None:
        raise ValueError(problem)
    y = _strata(df)
    groups = prompt_groups(df)
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros(len(df)), y, groups)
