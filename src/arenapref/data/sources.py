"""A battle's dataset (its source family) and what training on several datasets needs from it: inner folds that
hold out whole datasets, and weights that keep one large dataset from outweighing the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd

INNER_SPLITS = ("auto", "prompt", "dataset")
#: With "auto", inner folds hold out whole datasets from this many datasets in the training data on.
MIN_DATASETS_FOR_DATASET_FOLDS = 3


def family(source: str) -> str:
    """The dataset a source belongs to: 'hh-rlhf/helpful-base-test' -> 'hh-rlhf'."""
    return source.split("/")[0]


def dataset_of(sources: pd.Series) -> pd.Series:
    """The dataset of each battle: its source family (hh-rlhf/helpful-base -> hh-rlhf)."""
    return sources.astype(str).str.split("/").str[0]


def dataset_folds(sources: pd.Series, inner_split: str) -> np.ndarray | None:
    """Inner fold of each battle when the inner folds hold out whole datasets, one fold per dataset: with
    inner_split "dataset" from 2 datasets on, "auto" from MIN_DATASETS_FOR_DATASET_FOLDS on; else None."""
    codes, names = pd.factorize(dataset_of(sources), sort=True)
    needed = 2 if inner_split == "dataset" else MIN_DATASETS_FOR_DATASET_FOLDS
    if inner_split != "prompt" and len(names) >= needed:
        return np.asarray(codes, dtype=int)
    return None


def source_weights(sources: pd.Series, power: float) -> np.ndarray:
    """Per battle, (battles of its dataset)^-power, mean 1: power 0 weighs battles equally, 1 weighs datasets
    equally."""
    dataset = dataset_of(sources)
    weight = dataset.map(dataset.value_counts()).to_numpy(dtype=float) ** -power
    return weight / weight.mean() if len(weight) else weight
