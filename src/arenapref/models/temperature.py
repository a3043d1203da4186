"""Temperature scaling: one scalar T per output, fit on out-of-fold predictions by minimising log loss; for a
binary margin, optionally together with the weight of a second (prior) input."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_expit

#: Search range of log T (T from about 0.05 to 20).
_LOG_T_BOUNDS = (-3.0, 3.0)
#: The temperatures a fit can return (a saved model holding another one is refused on load).
TEMPERATURE_RANGE = (float(np.exp(_LOG_T_BOUNDS[0])), float(np.exp(_LOG_T_BOUNDS[1])))


def fit_binary_temperature(margin: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None) -> float:
    """T minimising the (weighted) cross-entropy of sigmoid(margin / T) against soft targets in [0, 1]."""
    margin, target = np.asarray(margin, dtype=float), np.asarray(target, dtype=float)
    w = np.ones_like(margin) if weight is None else np.asarray(weight, dtype=float)
    if len(margin) == 0 or w.sum() <= 0:
        return 1.0

    def loss(log_t: float) -> float:
        z = margin / np.exp(log_t)
        return float(-(w * (target * log_expit(z) + (1 - target) * log_expit(-z))).sum() / w.sum())

    return float(np.exp(minimize_scalar(loss, bounds=_LOG_T_BOUNDS, method="bounded").x))


def fit_binary_calibration(
    margin: np.ndarray, prior: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None
) -> tuple[float, float]:
    """(T, b) minimising the (weighted) cross-entropy of sigmoid(margin / T + b * prior) against soft targets in
    [0, 1]; no intercept, so an antisymmetric margin and prior stay antisymmetric. T within the search range of
    fit_binary_temperature, b free."""
    margin, prior = np.asarray(margin, dtype=float), np.asarray(prior, dtype=float)
    target = np.asarray(target, dtype=float)
    w = np.ones_like(margin) if weight is None else np.asarray(weight, dtype=float)
    if len(margin) == 0 or w.sum() <= 0:
        return 1.0, 0.0
    w = w / w.sum()

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        scale = np.exp(-params[0])
        z = margin * scale + params[1] * prior
        value = -(w * (target * log_expit(z) + (1 - target) * log_expit(-z))).sum()
        residual = w * (expit(z) - target)  # d loss / d z
        return float(value), np.array([-(residual * margin * scale).sum(), (residual * prior).sum()])

    result = minimize(loss, np.zeros(2), jac=True, method="L-BFGS-B", bounds=[_LOG_T_BOUNDS, (None, None)])
    return float(np.exp(result.x[0])), float(result.x[1])


def fit_softmax_temperature(log_proba: np.ndarray, target: np.ndarray) -> float:
    """T minimising the cross-entropy of softmax(log_proba / T) against (n, k) soft targets."""
    log_proba, target = np.asarray(log_proba, dtype=float), np.asarray(target, dtype=float)
    if len(log_proba) == 0:
        return 1.0

    def loss(log_t: float) -> float:
        p = softmax(log_proba / np.exp(log_t))
        return float(-(target * np.log(np.clip(p, 1e-15, None))).sum() / target.sum())

    return float(np.exp(minimize_scalar(loss, bounds=_LOG_T_BOUNDS, method="bounded").x))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row softmax of (n, 3) logits; the columns are summed in a fixed order, so permuting A and B gives exactly
    the permuted result (position consistency to the last bit)."""
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    total = z[:, 0] + z[:, 1] + z[:, 2]
    return z / total[:, None]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(expit(x))
