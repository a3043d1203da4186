"""Pairs -> (n, 3) probabilities [A wins, B wins, tie], both orders averaged unless the model already does."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from arenapref.data.schema import unlabelled_table
from arenapref.models.base import PreferenceModel, mirror_average
from arenapref.reward.inputs import Pair

#: What compare, rank and reward call to score pairs: (n, 3) probabilities for n pairs. serve/ passes one that
#: queues the pairs on its model thread; the default calls the model directly.
Scorer = Callable[[Sequence[Pair]], np.ndarray]


def pair_table(pairs: Sequence[Pair]) -> pd.DataFrame:
    """The battle table of the pairs (ids pair-0, pair-1, ...; source "reward")."""
    turns = {
        "prompt": [list(p.prompt) for p in pairs],
        "response_a": [list(p.a) for p in pairs],
        "response_b": [list(p.b) for p in pairs],
    }
    return unlabelled_table([f"pair-{i}" for i in range(len(pairs))], "reward", turns)


def compare_pairs(model: PreferenceModel, pairs: Sequence[Pair]) -> np.ndarray:
    """(n, 3) probabilities of the pairs; a model that is not position-symmetric by construction is run on both
    orders and averaged, so P(A wins) on a pair is exactly P(B wins) on its swap."""
    if not pairs:
        return np.zeros((0, 3))
    table = pair_table(pairs)
    proba = model.predict_proba(table) if model.position_symmetric else mirror_average(model, table)
    return checked(proba, len(pairs))


def checked(proba: np.ndarray, n: int) -> np.ndarray:
    """The probabilities as floats of shape (n, 3), rows renormalised; ValueError when unusable."""
    proba = np.asarray(proba, dtype=float)
    if proba.shape != (n, 3) or not np.isfinite(proba).all() or (proba < 0).any():
        raise ValueError(f"the model returned unusable probabilities of shape {proba.shape} for {n} pairs")
    total = proba.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        raise ValueError("the model returned a row of zero probabilities")
    return proba / total


def model_scorer(model: PreferenceModel) -> Scorer:
    """The default scorer: the model itself, in the caller's thread (a partial, so a RewardModel pickles)."""
    return functools.partial(compare_pairs, model)


def expected_score(proba: np.ndarray) -> np.ndarray:
    """P(A wins) + P(tie) / 2 per row: A's expected score against B, as a tie counts half."""
    proba = np.asarray(proba, dtype=float)
    return np.asarray(proba[:, 0] + proba[:, 2] / 2)
