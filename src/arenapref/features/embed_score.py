"""A learned direction score over the embeddings, stacked out of fold into the booster's features.

The booster sees an embedding only through a few dozen principal components (features.embed_pairs), which on a
thousand battles carry little it can split on. A linear model reads the whole vector: ridge regression of the
winner (+1 A, -1 B, soft labels as 2 P(A) - 1) on x = [A - B, prompt * (A - B)] (the difference, and the
difference as this prompt weighs it), without intercept. x of the swapped battle is -x, so the score w.x is
antisymmetric exactly, with no need to train on both orders (their Gram matrix is the same).

Stacking without leakage: the training battles' column is out of fold (each inner fold scored by a ridge fit on
the other folds), so the booster never learns from a score that saw its own row's label; battles to predict get
the ridge fit on all training battles. The ridge strength is chosen among RIDGE_SCALES by the out-of-fold squared
error, from the same folds. One pass of Gram matrices makes this cheap at any row count: each fold's fit is the
total minus that fold's part, and every strength reuses one eigendecomposition.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arenapref.features.embed_pairs import Sides
from arenapref.features.pair import FeatureMatrix, FeatureTable

#: Ridge strengths, as multiples of the mean diagonal of the (column-scaled) Gram matrix per row.
RIDGE_SCALES = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def direction_inputs(sides: Sides) -> np.ndarray:
    """(n, 2 * dim) antisymmetric inputs: A - B and prompt * (A - B)."""
    d = (sides.a - sides.b).astype(np.float64)
    return np.hstack([d, d * sides.prompt])


def _solve(gram: np.ndarray, rhs: np.ndarray, penalties: list[float]) -> np.ndarray:
    """(len(penalties), k) ridge solutions (gram + p I)^-1 rhs through one eigendecomposition."""
    values, vectors = np.linalg.eigh(gram)
    projected = vectors.T @ rhs
    return np.stack([vectors @ (projected / (values + p)) for p in penalties])


class DirectionScore:
    """Ridge direction score on embedding inputs; `fit` returns the out-of-fold column for the training rows."""

    def __init__(self) -> None:
        self.scale = np.ones(0)
        self.weights = np.zeros(0)
        self.penalty_scale = 0.0

    def fit(self, x: np.ndarray, p_a: np.ndarray, weight: np.ndarray, fold_of: np.ndarray | None) -> np.ndarray:
        """Fit on rows with weight > 0 (battles with a winner; p_a = P(A wins | not a tie)); returns the score
        of every row, out of fold where fold_of assigns one (-1: never held out, scored by the full fit)."""
        self.scale = np.sqrt((x**2).mean(axis=0)) + 1e-12  # uncentred: scaling keeps x -> -x
        z = x / self.scale
        target = 2.0 * p_a - 1.0
        folds = np.full(len(x), -1) if fold_of is None else fold_of
        parts = [np.flatnonzero(folds == k) for k in range(int(folds.max()) + 1)]

        def moments(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            zw = z[rows] * weight[rows, None]
            return zw.T @ z[rows], zw.T @ target[rows]

        gram, rhs = moments(np.arange(len(x)))
        base = float(np.trace(gram)) / z.shape[1]
        penalties = [s * base for s in RIDGE_SCALES]
        out_of_fold = np.zeros((len(RIDGE_SCALES), len(x)))
        for rows in parts:
            g, r = moments(rows)
            solutions = _solve(gram - g, rhs - r, penalties)
            out_of_fold[:, rows] = solutions @ z[rows].T
        held = np.flatnonzero((folds >= 0) & (weight > 0))
        if len(held):
            errors = (weight[held] * (out_of_fold[:, held] - target[held]) ** 2).sum(axis=1)
            best = int(np.argmin(errors))
        else:
            best = RIDGE_SCALES.index(1.0)
        self.penalty_scale = RIDGE_SCALES[best]
        self.weights = _solve(gram, rhs, [penalties[best]])[0]
        scores = self.score(x)
        seen = folds >= 0
        scores[seen] = out_of_fold[best, seen]
        return scores

    def score(self, x: np.ndarray) -> np.ndarray:
        return (x / self.scale) @ self.weights

    def features(self, scores: np.ndarray) -> FeatureMatrix:
        table = FeatureTable()
        table.antisymmetric("emb_score", scores)
        table.symmetric("emb_score_abs", np.abs(scores))
        return table.matrix(len(scores))

    def get_state(self) -> dict[str, Any]:
        return {"scale": self.scale.tolist(), "weights": self.weights.tolist(), "penalty_scale": self.penalty_scale}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> DirectionScore:
        out = cls()
        out.scale, out.weights = np.asarray(state["scale"]), np.asarray(state["weights"])
        out.penalty_scale = float(state["penalty_scale"])
        return out
