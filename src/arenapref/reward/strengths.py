"""A ranking of n candidates from pairwise probabilities: Bradley-Terry strengths (ranking/'s Newton solver on
soft outcomes, a tie counting half a win) and Copeland wins beside them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from arenapref.ranking.solver import LN10, build_design, newton
from arenapref.reward.compare import expected_score

#: Ridge penalty on the strengths (log10 units, as ranking/ uses): small, it keeps a candidate that wins every
#: comparison with certainty finite and fixes the strengths' mean at 0.
L2 = 0.01


@dataclass(frozen=True)
class Ranking:
    """Per candidate (input order): its Bradley-Terry score (natural-log strength, mean 0 over the distinct
    candidates: P(i beats j) ~ sigmoid(score_i - score_j)), its rank (1 = best; equal scores share the best rank),
    its Copeland wins (distinct others it beats: expected score > 1/2, a draw counting half), and the index of the
    best candidate (the first of the top scores; None when there is none)."""

    scores: np.ndarray
    ranks: np.ndarray
    copeland: np.ndarray
    best: int | None

    def __len__(self) -> int:
        return len(self.scores)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": [float(s) for s in self.scores],
            "ranks": [int(r) for r in self.ranks],
            "copeland": [float(c) for c in self.copeland],
            "best": self.best,
        }


def strengths(n: int, i: np.ndarray, j: np.ndarray, proba: np.ndarray, l2: float = L2) -> np.ndarray:
    """Bradley-Terry natural-log strengths of n items from comparisons i vs j with outcome shares proba (m, 3)
    [i wins, j wins, tie]: ranking/'s batched Newton on one round of weight 1 per comparison."""
    if n <= 1 or len(i) == 0:
        return np.zeros(n)
    design = build_design(np.asarray(i), np.asarray(j), np.zeros((len(i), 0)), n)
    theta = newton(design, "bt", np.asarray(proba, dtype=float), np.ones((len(i), 1)), np.zeros((1, n)), l2)
    return np.asarray(LN10 * theta[0])


def copeland(n: int, i: np.ndarray, j: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Pairwise wins of each item: expected score above 1/2 is a win, exactly 1/2 half a win."""
    score = expected_score(proba) if len(i) else np.zeros(0)
    points = np.where(score > 0.5, 1.0, np.where(score == 0.5, 0.5, 0.0))
    return np.asarray(np.bincount(i, points, minlength=n) + np.bincount(j, 1.0 - points, minlength=n), dtype=float)


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """1 + how many scores are strictly higher (competition ranking: equal scores share the better rank)."""
    return np.asarray(1 + (scores[None, :] > scores[:, None]).sum(axis=1), dtype=int)


def ranking(n_unique: int, i: np.ndarray, j: np.ndarray, proba: np.ndarray, of_candidate: np.ndarray) -> Ranking:
    """The ranking of candidates that map to n_unique distinct items (of_candidate[k] = candidate k's item)
    compared pairwise as i vs j with probabilities proba."""
    if len(of_candidate) == 0:
        return Ranking(np.zeros(0), np.zeros(0, dtype=int), np.zeros(0), None)
    unique_scores = strengths(n_unique, i, j, proba)
    scores = unique_scores[of_candidate]
    wins = copeland(n_unique, i, j, proba)[of_candidate]
    return Ranking(scores, ranks_of(scores), wins, int(np.argmax(scores)))
