"""Outcome likelihoods of the rating models, as functions of the strength difference `d` and a tie parameter.

`d` is the natural-log odds of A over B (rating difference times ln10/400, plus style terms). Three models:
- "bt": Bradley-Terry, P(A) = sigmoid(d); a tie counts as half a win for each side (LMSYS's arena leaderboard).
- "davidson": P(A) : P(B) : P(tie) = e^(d/2) : e^(-d/2) : nu, with eta = ln nu (Davidson 1970).
- "rao-kupper": P(A) = sigmoid(d - lam), P(B) = sigmoid(-d - lam), the rest a tie, lam = ln theta = e^eta
  (Rao and Kupper 1967).
Every array is (cells, rounds): one column per bootstrap weighting, so R fits are evaluated at once.
`terms` returns the weighted negative log-likelihood per round and its first and second derivatives in
(d, eta); the second derivatives are the expected (Fisher) information, which equals the Hessian for "bt"
and "davidson".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from arenapref.ranking.tie_models import TIE_MODELS

TINY = 1e-300


@dataclass
class Terms:
    """Negative log-likelihood per round (R,), and per cell and round: gradient and information in (d, eta)."""

    loss: np.ndarray
    g_d: np.ndarray
    h_dd: np.ndarray
    g_e: np.ndarray | None = None
    h_de: np.ndarray | None = None
    h_ee: np.ndarray | None = None


def has_tie_parameter(kind: str) -> bool:
    check_kind(kind)
    return kind != "bt"


def check_kind(kind: str) -> None:
    if kind not in TIE_MODELS:
        raise ValueError(f"unknown tie model {kind!r}; known: {', '.join(TIE_MODELS)}")


def terms(kind: str, d: np.ndarray, eta: np.ndarray | None, target: np.ndarray, weight: np.ndarray) -> Terms:
    """Loss and derivatives. d, weight: (n, R); eta: (R,) or None for "bt"; target: (n, 3) outcome shares A, B, tie."""
    check_kind(kind)
    if kind == "bt":
        return _bt(d, target, weight)
    assert eta is not None, f"{kind} needs a tie parameter"
    return _davidson(d, eta, target, weight) if kind == "davidson" else _rao_kupper(d, eta, target, weight)


def probabilities(kind: str, d: np.ndarray, eta: float | None = None) -> np.ndarray:
    """(..., 3) probabilities of A wins, B wins, tie; for "bt" the tie column is 0 (ties count half)."""
    check_kind(kind)
    d = np.asarray(d, dtype=float)
    if kind == "bt":
        s = expit(d)
        return np.stack([s, 1 - s, np.zeros_like(s)], axis=-1)
    assert eta is not None
    if kind == "davidson":
        logits = np.stack([d / 2, -d / 2, np.full_like(d, eta)], axis=-1)
        logits -= logits.max(axis=-1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=-1, keepdims=True))
    lam = np.exp(eta)
    pa, pb = expit(d - lam), expit(-d - lam)
    return np.stack([pa, pb, np.clip(1 - pa - pb, 0, 1)], axis=-1)


def _logaddexp(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log(e^x + e^y), stable; several times faster than np.logaddexp on large arrays."""
    return np.asarray(np.maximum(x, y) + np.log1p(np.exp(-np.abs(x - y))))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -_logaddexp(np.zeros_like(x), -x)


def _split(target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t_a, t_b, t_t = (target[:, [c]] for c in range(3))
    return t_a, t_b, t_t, t_a + t_b + t_t


def _bt(d: np.ndarray, target: np.ndarray, w: np.ndarray) -> Terms:
    t_a, _, t_t, total = _split(target)
    y = t_a + t_t / 2
    # log P(A) = min(d, 0) - log1p(e^-|d|); log P(B) = log P(A) - d. In place: these arrays are large.
    log_s = np.abs(d)
    np.negative(log_s, out=log_s)
    np.exp(log_s, out=log_s)
    np.log1p(log_s, out=log_s)
    np.subtract(np.minimum(d, 0), log_s, out=log_s)
    loss = -(np.einsum("nr,nr->r", w, log_s * total) - np.einsum("nr,nr->r", w, d * (total - y)))
    s = np.exp(log_s, out=log_s)
    g = s * total
    g -= y
    g *= w
    h = np.subtract(1, s)
    h *= s
    h *= w * total
    return Terms(loss, g, h)


def _davidson(d: np.ndarray, eta: np.ndarray, target: np.ndarray, w: np.ndarray) -> Terms:
    t_a, t_b, t_t, total = _split(target)
    e = np.broadcast_to(eta[None, :], d.shape)
    lse = _logaddexp(np.abs(d) / 2 + np.log1p(np.exp(-np.abs(d))), e)  # log(e^(d/2) + e^(-d/2) + e^eta)
    log_a, log_b, log_t = d / 2 - lse, -d / 2 - lse, e - lse
    loss = -(w * (t_a * log_a + t_b * log_b + t_t * log_t)).sum(axis=0)
    p_a, p_b, p_t = np.exp(log_a), np.exp(log_b), np.exp(log_t)
    wt = w * total
    g_d = 0.5 * (wt * p_a - w * t_a) - 0.5 * (wt * p_b - w * t_b)
    g_e = wt * p_t - w * t_t
    h_dd = 0.25 * wt * (p_a + p_b - (p_a - p_b) ** 2)
    h_de = -0.5 * wt * p_t * (p_a - p_b)
    h_ee = wt * p_t * (1 - p_t)
    return Terms(loss, g_d, h_dd, g_e, h_de, h_ee)


def _rao_kupper(d: np.ndarray, eta: np.ndarray, target: np.ndarray, w: np.ndarray) -> Terms:
    t_a, t_b, t_t, total = _split(target)
    lam = np.broadcast_to(np.exp(eta)[None, :], d.shape)
    log_a, log_b = _log_sigmoid(d - lam), _log_sigmoid(-d - lam)
    # P(tie) = (theta^2 - 1) r / ((r + theta)(theta r + 1)) with r = e^d, theta = e^lam, in logs for stability.
    log_t = np.log(np.expm1(2 * lam)) + d - _logaddexp(d, lam) - _logaddexp(lam + d, np.zeros_like(d))
    loss = -(w * (t_a * log_a + t_b * log_b + t_t * log_t)).sum(axis=0)
    p_a, p_b, p_t = np.exp(log_a), np.exp(log_b), np.maximum(np.exp(log_t), TINY)
    va, vb = p_a * (1 - p_a), p_b * (1 - p_b)
    # dP/dd and dP/deta (chain rule through lam = e^eta) of (A, B, tie).
    dd = (va, -vb, vb - va)
    de = (-va * lam, -vb * lam, (va + vb) * lam)
    probs, shares = (np.maximum(p_a, TINY), np.maximum(p_b, TINY), p_t), (t_a, t_b, t_t)
    g_d = -w * sum(t * x / p for t, x, p in zip(shares, dd, probs, strict=True))
    g_e = -w * sum(t * x / p for t, x, p in zip(shares, de, probs, strict=True))
    wt = w * total
    h_dd = wt * sum(x * x / p for x, p in zip(dd, probs, strict=True))
    h_de = wt * sum(x * y / p for x, y, p in zip(dd, de, probs, strict=True))
    h_ee = wt * sum(y * y / p for y, p in zip(de, probs, strict=True))
    return Terms(loss, g_d, h_dd, g_e, h_de, h_ee)
