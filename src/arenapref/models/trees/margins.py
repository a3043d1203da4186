"""A booster's outputs on battles and on their swapped copies, combined so a verdict never depends on position."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np

from arenapref.data.swap import MIRROR
from arenapref.models.trees.boosting import HeadFit

#: Combines a booster's outputs on the battles and on their swapped copies into one symmetric output.
Combine = Callable[[lgb.Booster, np.ndarray, np.ndarray], np.ndarray]
#: Below this many rows a prediction runs on one thread: starting OpenMP threads costs more than it saves, and
#: their spin-waiting slows a busy server.
SINGLE_THREAD_ROWS = 256


def predict(booster: lgb.Booster, x: np.ndarray, **kwargs: Any) -> np.ndarray:
    """The booster's output as a dense array."""
    if len(x) < SINGLE_THREAD_ROWS:
        kwargs.setdefault("num_threads", 1)
    return np.asarray(booster.predict(x, **kwargs))


def direction_margin(booster: lgb.Booster, x: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Log-odds of A over B, antisymmetric: the swapped battle gets exactly the negation."""
    return (predict(booster, x, raw_score=True) - predict(booster, xs, raw_score=True)) * 0.5


def tie_margin(booster: lgb.Booster, x: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Log-odds of a tie, symmetric in the two orders."""
    return (predict(booster, x, raw_score=True) + predict(booster, xs, raw_score=True)) * 0.5


def multiclass_proba(booster: lgb.Booster, x: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Mean of the prediction on x and the mirrored prediction on swap(x)."""
    return (predict(booster, x) + predict(booster, xs)[:, MIRROR]) * 0.5


def held_out(fit: HeadFit, x: np.ndarray, xs: np.ndarray, combine: Combine) -> np.ndarray:
    """Out-of-fold outputs (both orders combined) per battle; NaN for battles no inner fold held out."""
    out: np.ndarray | None = None
    for booster, battles in fit.held_out:
        values = combine(booster, x[battles], xs[battles])
        if out is None:
            out = np.full((len(x), *values.shape[1:]), np.nan)
        out[battles] = values
    return out if out is not None else np.full(len(x), np.nan)
