"""Batched Newton fits of the rating models: R weightings of the same comparisons solved at once (the bootstrap).

Parameters theta = [w (one per model, log10 units: ratings are 400 w), beta (style), eta (tie models only)];
the linear predictor is d = X @ [w, beta] with X's rows holding +ln10 at model A, -ln10 at model B and the
style covariates. The objective per round is the weighted negative log-likelihood plus l2/2 * |[w, beta]|^2.
Gradients and Hessians of all rounds come from sparse-dense products (X^T G, and the outer-product matrix
`outer` whose column n is vec(x_n x_n^T)), so a round costs a few passes over the cells, not a Python loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs

from arenapref.ranking.likelihood import has_tie_parameter, terms

LN10 = math.log(10)


@dataclass
class Design:
    """The sparse design of n cells: X (n, m) and its transpose, and the outer products (m*m, n)."""

    X: sp.csr_matrix
    XT: sp.csr_matrix
    outer: sp.csr_matrix
    n_models: int
    n_style: int

    @property
    def n_linear(self) -> int:
        return self.n_models + self.n_style


def build_design(a: np.ndarray, b: np.ndarray, style: np.ndarray, n_models: int) -> Design:
    """Design for cells where model index a meets model index b (a != b), with style covariates (n, k)."""
    n, k = style.shape
    m = n_models + k
    cols = np.column_stack([a, b, np.broadcast_to(np.arange(n_models, m), (n, k))]).astype(np.int64)
    vals = np.column_stack([np.full(n, LN10), np.full(n, -LN10), style])
    rows = np.repeat(np.arange(n), cols.shape[1])
    X = sp.csr_matrix((vals.ravel(), (rows, cols.ravel())), shape=(n, m))
    pair_rows = (cols[:, :, None] * m + cols[:, None, :]).reshape(n, -1)
    pair_vals = (vals[:, :, None] * vals[:, None, :]).reshape(n, -1)
    outer = sp.csr_matrix(
        (pair_vals.ravel(), (pair_rows.ravel(), np.repeat(np.arange(n), pair_rows.shape[1]))), shape=(m * m, n)
    )
    return Design(X, X.T.tocsr(), outer, n_models, k)


def objective_terms(
    design: Design, kind: str, target: np.ndarray, weights: np.ndarray, theta: np.ndarray, l2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Penalised loss (R,), gradient (R, p) and Hessian (R, p, p) of theta (R, p) under weights (n, R)."""
    m = design.n_linear
    lin = theta[:, :m]
    d = np.asarray(design.X @ lin.T)
    eta = theta[:, m] if has_tie_parameter(kind) else None
    t = terms(kind, d, eta, target, weights)
    r, size = theta.shape
    loss = t.loss + 0.5 * l2 * (lin**2).sum(axis=1)
    grad = np.empty((r, size))
    grad[:, :m] = np.asarray(design.XT @ t.g_d).T + l2 * lin
    hess = np.empty((r, size, size))
    hess[:, :m, :m] = np.asarray(design.outer @ t.h_dd).T.reshape(r, m, m) + l2 * np.eye(m)
    if eta is not None:
        assert t.g_e is not None and t.h_de is not None and t.h_ee is not None
        grad[:, m] = t.g_e.sum(axis=0)
        cross = np.asarray(design.XT @ t.h_de).T
        hess[:, :m, m] = cross
        hess[:, m, :m] = cross
        hess[:, m, m] = t.h_ee.sum(axis=0)
    return loss, grad, hess


def newton(
    design: Design,
    kind: str,
    target: np.ndarray,
    weights: np.ndarray,
    theta0: np.ndarray,
    l2: float,
    tol: float = 1e-8,
    max_iter: int = 100,
) -> np.ndarray:
    """Minimise every round's objective from theta0 (R, p) by (Fisher-scoring) Newton steps with step halving;
    stops once no round's Newton step exceeds `tol` (that last step is taken without another evaluation)."""
    if l2 <= 0:
        raise ValueError("l2 must be positive: it makes the ratings identifiable (their mean is 0)")
    theta = np.array(theta0, dtype=float)
    loss, grad, hess = objective_terms(design, kind, target, weights, theta, l2)
    for _ in range(max_iter):
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        if np.abs(step).max() < tol:
            return theta - step
        alpha = np.ones(len(theta))
        for _ in range(40):
            trial = theta - alpha[:, None] * step
            new_loss, new_grad, new_hess = objective_terms(design, kind, target, weights, trial, l2)
            worse = ~(new_loss <= loss + 1e-10 * np.abs(loss))
            if not worse.any():
                break
            alpha[worse] /= 2
        theta, loss, grad, hess = trial, new_loss, new_grad, new_hess
    return theta


def resampled_counts(cell_of_battle: np.ndarray, n_cells: int, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """(n_cells, rounds): how often each cell is drawn when the battles are resampled with replacement."""
    n = len(cell_of_battle)
    draws = cell_of_battle[rng.integers(0, n, size=(rounds, n))]
    flat = (draws + np.arange(rounds)[:, None] * n_cells).ravel()
    return np.bincount(flat, minlength=rounds * n_cells).reshape(rounds, n_cells).T.astype(float)


def _bootstrap_chunks(
    design: Design,
    kind: str,
    target: np.ndarray,
    cell_of_battle: np.ndarray,
    theta: np.ndarray,
    l2: float,
    chunks: list[tuple[int, np.random.SeedSequence]],
) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    meets = abs(design.XT[: design.n_models])  # (models, cells): nonzero where the model plays in the cell
    for size, seed in chunks:
        weights = resampled_counts(cell_of_battle, len(target), size, np.random.default_rng(seed))
        present = np.asarray(meets @ weights).T > 0
        out.append((newton(design, kind, target, weights, np.tile(theta, (size, 1)), l2), present))
    return out


def bootstrap(
    design: Design,
    kind: str,
    target: np.ndarray,
    cell_of_battle: np.ndarray,
    theta: np.ndarray,
    l2: float,
    rounds: int,
    seed: int = 0,
    n_jobs: int = 1,
    batch_cells: int = 6_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """(rounds, p) parameters refitted on battles resampled with replacement, warm-started at theta, and
    (rounds, models) whether each model played in the round's sample (an absent model's rating is the prior's).

    Rounds are solved in chunks of about `batch_cells` cell-rounds, each chunk with its own random stream,
    and the chunks are shared among `n_jobs` processes (joblib): the result depends on `seed`, not `n_jobs`.
    """
    batch = max(1, batch_cells // max(len(target), 1))
    sizes = [min(batch, rounds - start) for start in range(0, rounds, batch)]
    chunks = list(zip(sizes, np.random.SeedSequence(seed).spawn(len(sizes)), strict=True))
    jobs = max(1, min(len(chunks), effective_n_jobs(n_jobs)))
    args = (design, kind, target, cell_of_battle, theta, l2)
    if jobs == 1:
        solved = _bootstrap_chunks(*args, chunks)
    else:
        shares = [list(range(i, len(chunks), jobs)) for i in range(jobs)]
        results = Parallel(n_jobs=jobs)(delayed(_bootstrap_chunks)(*args, [chunks[c] for c in s]) for s in shares)
        by_chunk = {c: r for share, part in zip(shares, results, strict=True) for c, r in zip(share, part, strict=True)}
        solved = [by_chunk[c] for c in range(len(chunks))]
    return np.vstack([t for t, _ in solved]), np.vstack([p for _, p in solved])
