"""Scores of predicted probabilities against labels: Kaggle's log loss, accuracy, Brier score, confusion matrix.

Probabilities are (n, 3) in the order [A wins, B wins, tie]. For 2-way sets (no tie label) the tie mass is folded
out first, P(A) / (P(A) + P(B)), and every score is computed on the two remaining classes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, confusion_matrix, log_loss

from arenapref.data.schema import TIE
from arenapref.evaluation.calibration import expected_calibration_error

TWO_WAY_NOTE = "2-way set (no tie label): tie mass folded out, P(A) / (P(A) + P(B))"


def check_proba(proba: np.ndarray, width: int = 3) -> np.ndarray:
    """The predictions as float64 (n, width); raises ValueError on NaN, negatives or rows summing to 0."""
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != width:
        raise ValueError(f"expected (n, {width}) probabilities, got shape {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("probabilities contain NaN or infinity")
    if (p < 0).any():
        raise ValueError("probabilities contain negative values")
    if (p.sum(axis=1) <= 0).any():
        raise ValueError("a row of probabilities sums to 0")
    return p


def normalise_rows(proba: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (as Kaggle does before scoring)."""
    p = np.asarray(proba, dtype=np.float64)
    return p / p.sum(axis=1, keepdims=True)


def fold_ties(proba: np.ndarray) -> np.ndarray:
    """(n, 2) [P(A), P(B)] / (P(A) + P(B)); 0.5 each where a row puts all its mass on the tie."""
    p = check_proba(proba)[:, :2]
    total = p.sum(axis=1, keepdims=True)
    return np.divide(p, total, out=np.full_like(p, 0.5), where=total > 0)


def kaggle_log_loss(labels: np.ndarray, proba: np.ndarray) -> float:
    """Log loss as Kaggle scores it: rows normalised to sum 1, then sklearn's log_loss (clipped to machine eps)."""
    p = normalise_rows(check_proba(proba, np.shape(proba)[1]))
    return float(log_loss(np.asarray(labels), p, labels=list(range(p.shape[1]))))


def accuracy(labels: np.ndarray, proba: np.ndarray) -> float:
    """Share of rows whose most probable class (first one on ties) is the label."""
    return float(np.mean(np.argmax(proba, axis=1) == np.asarray(labels)))


def non_tie_accuracy(labels: np.ndarray, proba: np.ndarray) -> float:
    """On rows whose label is not a tie: share where the larger of P(A), P(B) is the winner (NaN if none)."""
    labels = np.asarray(labels)
    keep = labels != TIE
    if not keep.any():
        return float("nan")
    p = np.asarray(proba)[keep, :2]
    return float(np.mean(np.argmax(p, axis=1) == labels[keep]))


def brier(labels: np.ndarray, proba: np.ndarray) -> float:
    """Multi-class Brier score: mean over rows of the summed squared error over classes (0 best, 2 worst)."""
    p = normalise_rows(check_proba(proba, np.shape(proba)[1]))
    return float(brier_score_loss(np.asarray(labels), p, labels=list(range(p.shape[1])), scale_by_half=False))


def confusion(labels: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Counts: rows = true class, columns = predicted class (argmax)."""
    k = np.shape(proba)[1]
    return confusion_matrix(np.asarray(labels), np.argmax(proba, axis=1), labels=list(range(k)))


@dataclass
class Scores:
    """Every metric of one set of predictions; `two_way` says the tie mass was folded out."""

    n: int
    two_way: bool
    accuracy: float
    accuracy_non_tie: float
    log_loss: float
    brier: float
    ece: float
    confusion: list[list[int]] = field(default_factory=list)

    @property
    def note(self) -> str:
        return TWO_WAY_NOTE if self.two_way else "3-way set: A wins / B wins / tie"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "note": self.note}


def scoring_view(labels: np.ndarray, proba: np.ndarray, two_way: bool) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities as scored: folded to 2 classes for 2-way sets (which must hold no tie label)."""
    labels = np.asarray(labels, dtype=np.int64)
    if not two_way:
        return labels, normalise_rows(check_proba(proba))
    if (labels == TIE).any():
        raise ValueError("a 2-way set holds a tie label")
    return labels, fold_ties(proba)


def score(labels: np.ndarray, proba: np.ndarray, two_way: bool = False) -> Scores:
    """All metrics of (n, 3) predictions against integer labels; 2-way sets are scored with the tie folded out."""
    y, p = scoring_view(labels, proba, two_way)
    if len(y) == 0:
        raise ValueError("no labelled rows to score")
    return Scores(
        n=len(y),
        two_way=two_way,
        accuracy=accuracy(y, p),
        accuracy_non_tie=non_tie_accuracy(y, p),
        log_loss=kaggle_log_loss(y, p),
        brier=brier(y, p),
        ece=expected_calibration_error(y, p),
        confusion=confusion(y, p).tolist(),
    )
