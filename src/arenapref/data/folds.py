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


def grouped_folds(df: pd.DataFrame, n_splits: int = 5, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train_idx, test_idx) pairs; every prompt's battles fall on one side only."""
    groups = prompt_groups(df)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    if n_groups < n_splits:
        raise ValueError(f"{n_groups} distinct prompts cannot make {n_splits} folds")
    y = df["label"].fillna(3).to_numpy(dtype=int)
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros(len(df)), y, groups)
