"""Baselines: the class prior, and longer-wins (a calibrated one-feature logistic model on length difference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression

from arenapref.data.schema import targets
from arenapref.data.swap import MIRROR
from arenapref.features.style import normalised_difference
from arenapref.features.text import side_text
from arenapref.models.base import PreferenceModel


def length_difference(battles: pd.DataFrame) -> np.ndarray:
    """(chars A - chars B) / (chars A + chars B) of each battle's responses (all turns), in [-1, 1]."""
    len_a = side_text(battles, "response_a").str.len().to_numpy()
    len_b = side_text(battles, "response_b").str.len().to_numpy()
    return normalised_difference(len_a, len_b)


class PriorModel(PreferenceModel):
    """Predicts the training label frequencies, made symmetric in A/B (A and B share their mean)."""

    name = "prior"

    def __init__(self, proba: list[float] | None = None) -> None:
        self.proba = np.asarray(proba if proba is not None else [1 / 3] * 3, dtype=float)

    def fit(self, battles: pd.DataFrame) -> PriorModel:
        y = targets(battles).mean(axis=0)
        ab = (y[0] + y[1]) / 2
        self.proba = np.array([ab, ab, y[2]]) / (2 * ab + y[2])
        return self

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        return np.tile(self.proba, (len(battles), 1))

    def get_state(self) -> dict[str, Any]:
        return {"proba": self.proba.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> PriorModel:
        return cls(state["proba"])


class LengthModel(PreferenceModel):
    """Longer-wins: multinomial logistic regression on the length difference d = (len A - len B) / (len A + len B),
    through two symmetric transforms (signed sqrt|d| and |d|: ties are likelier when lengths are close), fitted on
    both orders of every battle; predictions are averaged over both orders, so swapping A and B swaps P(A) and P(B)
    exactly. Lengths are characters of all turns of a response; soft labels enter as sample weights."""

    name = "longer_wins"

    def __init__(self, coef: list[list[float]] | None = None, intercept: list[float] | None = None) -> None:
        self.coef = np.asarray(coef if coef is not None else np.zeros((3, 2)), dtype=float)
        self.intercept = np.asarray(intercept if intercept is not None else np.zeros(3), dtype=float)

    @staticmethod
    def _design(d: np.ndarray) -> np.ndarray:
        """sign(d)·sqrt|d| (steep near 0: a small length gap already moves the verdict, as observed) and |d|."""
        return np.column_stack([np.sign(d) * np.sqrt(np.abs(d)), np.abs(d)])

    def fit(self, battles: pd.DataFrame) -> LengthModel:
        d = length_difference(battles)
        y = targets(battles)
        known = y.sum(axis=1) > 0
        d, y = np.concatenate([d[known], -d[known]]), np.concatenate([y[known], y[known][:, MIRROR]])
        # Soft labels as weights: one row per (battle, class) with that class's probability.
        rows, classes = np.nonzero(y)
        x = self._design(d[rows])
        weights = y[rows, classes]
        if len(np.unique(classes)) < 2:
            raise ValueError("longer_wins needs at least two outcome classes in the training data")
        lr = LogisticRegression(C=1.0, max_iter=1000).fit(x, classes, sample_weight=weights)
        self.coef, self.intercept = np.zeros((3, x.shape[1])), np.full(3, -np.inf)
        if len(lr.classes_) == 2:  # binary sklearn model: logit of classes_[1] against classes_[0]
            self.coef[lr.classes_[1]], self.intercept[lr.classes_[1]] = lr.coef_[0], lr.intercept_[0]
            self.intercept[lr.classes_[0]] = 0.0
        else:
            self.coef[lr.classes_], self.intercept[lr.classes_] = lr.coef_, lr.intercept_
        return self

    def _raw_proba(self, d: np.ndarray) -> np.ndarray:
        return softmax(self._design(d) @ self.coef.T + self.intercept, axis=1)

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        d = length_difference(battles)
        return (self._raw_proba(d) + self._raw_proba(-d)[:, MIRROR]) / 2

    def get_state(self) -> dict[str, Any]:
        intercept = [None if np.isinf(v) else float(v) for v in self.intercept]
        return {"coef": self.coef.tolist(), "intercept": intercept, "features": ["sign(d)*sqrt|d|", "|d|"]}

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> LengthModel:
        intercept = [-np.inf if v is None else v for v in state["intercept"]]
        return cls(state["coef"], intercept)
