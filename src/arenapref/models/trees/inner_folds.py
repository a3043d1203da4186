"""The fast model's inner folds: held-out parts of its own training data that choose its rounds and calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from arenapref.data.folds import grouped_folds
from arenapref.data.sources import dataset_folds

#: From this many training battles on, the default is 2 prompt-grouped inner folds instead of 3.
LARGE_TRAINING_SET = 20_000


def inner_folds(battles: pd.DataFrame, k: int | None, split: str, seed: int) -> tuple[np.ndarray | None, str]:
    """Inner fold of each battle and how the folds were made ("dataset", "prompt" or "none").

    k 0 or 1: no inner folds. Dataset folds (the fast model's docstring): one fold per dataset, used with split
    "dataset" (from 2 datasets on) or "auto" (from MIN_DATASETS_FOR_DATASET_FOLDS on). Otherwise grouped by
    prompt, or None when there are too few prompts: by default (k None) 3 folds, or 2 from LARGE_TRAINING_SET
    battles on: with that much data a fold of half the rows chooses the rounds as well, at half the cost per
    round."""
    if k is not None and k < 2:
        return None, "none"
    by_dataset = dataset_folds(battles["source"], split)
    if by_dataset is not None:
        return by_dataset, "dataset"
    if k is None:
        k = 2 if len(battles) >= LARGE_TRAINING_SET else 3
    fold_of = np.full(len(battles), -1)
    try:
        for fold, (_, test) in enumerate(grouped_folds(battles, k, seed)):
            fold_of[test] = fold
    except ValueError:
        return None, "none"
    return fold_of, "prompt"
