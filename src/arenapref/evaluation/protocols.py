"""Evaluation protocols: which sets take part, how they split into train and test, and how a model is run.

- in-domain: k-fold cross-validation grouped by prompt inside one set (IN_DOMAIN_SETS);
- transfer: leave one dataset out: train on every other dataset, test on the held-out one, the way a user applies a
  model to new data. A dataset is a source family (the part of the source name before '/', so all hh-rlhf splits
  are held out together); it is tested only if it has at least MIN_TEST_ROWS labelled rows. Training battles whose
  prompt also occurs in the held-out dataset are removed from training.

Training uses every row with a hard or soft label (schema.targets); testing uses only rows with a hard label.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arenapref.data.folds import grouped_folds, prompt_groups
from arenapref.data.schema import targets
from arenapref.data.sources import family
from arenapref.evaluation.probes import predict_both_orders
from arenapref.models.base import PreferenceModel

IN_DOMAIN = "in-domain"
TRANSFER = "transfer"
PROTOCOLS = (IN_DOMAIN, TRANSFER)

#: Sets cross-validated in-domain: exact source names, or a family name standing for all its splits.
IN_DOMAIN_SETS = ("autoj", "llmeval2", "hh-rlhf", "hhh")
#: A held-out dataset needs this many labelled rows to be tested (kaggle-sample, 100, and copilot-arena, 113 code
#: completions, are too small to give a stable score; they still serve as training data for the others).
MIN_TEST_ROWS = 200


def in_domain_sources(battles: pd.DataFrame) -> list[str]:
    """Sources present in the table that take part in in-domain cross-validation."""
    return sorted(s for s in battles["source"].unique() if family(s) in IN_DOMAIN_SETS)


def transfer_families(battles: pd.DataFrame) -> list[str]:
    """Datasets with enough labelled rows to be held out in the transfer protocol."""
    labelled = battles.loc[battles["label"].notna(), "source"].map(family).value_counts()
    return sorted(f for f, n in labelled.items() if n >= MIN_TEST_ROWS)


def trainable(battles: pd.DataFrame) -> np.ndarray:
    """Rows with a hard or soft label."""
    return np.asarray(targets(battles).sum(axis=1) > 0)


def labelled(battles: pd.DataFrame) -> np.ndarray:
    """Rows with a hard label (the only ones scored)."""
    return battles["label"].notna().to_numpy()


@dataclass(frozen=True)
class Split:
    """Row positions (into the table the split was made on) to fit on and to predict and score."""

    train: np.ndarray
    test: np.ndarray


def in_domain_splits(battles: pd.DataFrame, n_splits: int = 5, seed: int = 0) -> list[Split]:
    """Folds grouped by prompt (data.folds) over one set; each test side keeps only its labelled rows."""
    can_train, can_test = trainable(battles), labelled(battles)
    return [
        Split(train[can_train[train]], test[can_test[test]])
        for train, test in grouped_folds(battles, n_splits=n_splits, seed=seed)
    ]


def transfer_split(battles: pd.DataFrame, held_out: str) -> Split:
    """Train on every other dataset (minus battles sharing a prompt with the held-out one), test on `held_out`."""
    is_test = (battles["source"].map(family) == held_out).to_numpy()
    groups = prompt_groups(battles)
    shares_prompt = np.isin(groups, np.unique(groups[is_test]))
    train = np.flatnonzero(~is_test & ~shares_prompt & trainable(battles))
    return Split(train, np.flatnonzero(is_test & labelled(battles)))


@dataclass
class Run:
    """Predictions of one model under one protocol: for the test rows (positions), on both orders, with timings."""

    test: np.ndarray
    proba: np.ndarray
    proba_swapped: np.ndarray  # predictions on swap(battles) as the model returned them
    fit_seconds: float
    predict_seconds: float
    n_fits: int


def run_splits(factory: Callable[[], PreferenceModel], battles: pd.DataFrame, splits: list[Split]) -> Run:
    """Fit a fresh model per split and predict its test rows in both orders."""
    tests, probas, swapped = [], [], []
    fit_s = predict_s = 0.0
    for split in splits:
        start = time.perf_counter()
        model = factory().fit(battles.iloc[split.train].reset_index(drop=True))
        fit_s += time.perf_counter() - start
        start = time.perf_counter()
        p, ps = predict_both_orders(model, battles.iloc[split.test].reset_index(drop=True))
        predict_s += time.perf_counter() - start
        tests.append(split.test)
        probas.append(np.asarray(p, dtype=float))
        swapped.append(np.asarray(ps, dtype=float))
    return Run(np.concatenate(tests), np.vstack(probas), np.vstack(swapped), fit_s, predict_s, len(splits))


def cap_train(split: Split, max_train: int | None, seed: int = 0) -> Split:
    """The split with at most `max_train` training rows, drawn at random (quick runs); the test side is kept."""
    if max_train is None or len(split.train) <= max_train:
        return split
    keep = np.random.default_rng(seed).choice(split.train, size=max_train, replace=False)
    return Split(np.sort(keep), split.test)


def subsample(battles: pd.DataFrame, max_rows: int, seed: int = 0) -> pd.DataFrame:
    """At most `max_rows` battles per source, drawn at random (for quick runs); order kept."""
    draw = pd.Series(np.random.default_rng(seed).random(len(battles)), index=battles.index)
    rank = draw.groupby(battles["source"]).rank(method="first").to_numpy()
    return battles[rank <= max_rows].reset_index(drop=True)
