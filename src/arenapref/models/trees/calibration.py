"""The fast model's calibration on held-out margins: head temperatures and the weight of the length prior."""

from __future__ import annotations

import numpy as np

from arenapref.models.temperature import fit_binary_calibration, fit_binary_temperature

#: The feature the length prior is computed from: the normalised length difference of the responses (A - B).
LENGTH_FEATURE = "chars_norm_diff"


def mean_one(weight: np.ndarray) -> np.ndarray:
    """Weights rescaled to mean 1."""
    return weight / weight.mean() if len(weight) else weight


def binary_temperature(margin: np.ndarray, rows: np.ndarray, target: np.ndarray, weight: np.ndarray | None) -> float:
    """Temperature fit on the held-out margins of `rows` (1.0 when no inner fold held them out)."""
    held = margin[rows]
    seen = ~np.isnan(held)
    if not seen.any():
        return 1.0
    return fit_binary_temperature(held[seen], target[seen], None if weight is None else weight[seen])


def length_prior(x: np.ndarray, names: list[str]) -> np.ndarray:
    """sign(l) sqrt|l| of the normalised length difference l (A - B); antisymmetric, so a swap negates it exactly.
    Zeros when the features lack the length column (then the prior gets no weight)."""
    if LENGTH_FEATURE not in names:
        return np.zeros(len(x))
    diff = x[:, names.index(LENGTH_FEATURE)]
    return np.sign(diff) * np.sqrt(np.abs(diff))


def direction_calibration(
    margin: np.ndarray, prior: np.ndarray, target: np.ndarray, weight: np.ndarray
) -> tuple[float, float]:
    """(temperature, length weight) fit on the held-out margins ((1.0, 0.0) when no inner fold held any out)."""
    seen = ~np.isnan(margin)
    if not seen.any():
        return 1.0, 0.0
    if not prior[seen].any():
        return fit_binary_temperature(margin[seen], target[seen], weight[seen]), 0.0
    return fit_binary_calibration(margin[seen], prior[seen], target[seen], weight[seen])
