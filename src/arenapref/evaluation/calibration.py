"""Top-label calibration: reliability bins (confidence vs accuracy) and the expected calibration error."""

from __future__ import annotations

import numpy as np
import pandas as pd

N_BINS = 15


def reliability_bins(labels: np.ndarray, proba: np.ndarray, n_bins: int = N_BINS) -> pd.DataFrame:
    """Per equal-width bin of confidence (the top probability, rows normalised): count, mean confidence, accuracy.

    Empty bins are kept with count 0 (confidence and accuracy NaN) so the table always has `n_bins` rows.
    """
    p = np.asarray(proba, dtype=np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    confidence = p.max(axis=1)
    correct = (np.argmax(p, axis=1) == np.asarray(labels)).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, weights=confidence, minlength=n_bins) / count
        mean_acc = np.bincount(which, weights=correct, minlength=n_bins) / count
    return pd.DataFrame(
        {"lo": edges[:-1], "hi": edges[1:], "count": count, "confidence": mean_conf, "accuracy": mean_acc}
    )


def expected_calibration_error(labels: np.ndarray, proba: np.ndarray, n_bins: int = N_BINS) -> float:
    """ECE: sum over bins of (share of rows) x |accuracy - confidence|, top-label, equal-width bins."""
    bins = reliability_bins(labels, proba, n_bins)
    used = bins[bins["count"] > 0]
    if used.empty:
        return float("nan")
    weights = used["count"] / used["count"].sum()
    return float((weights * (used["accuracy"] - used["confidence"]).abs()).sum())
