"""Arena ratings: Bradley-Terry fit by logistic regression as LMSYS's leaderboard does, with bootstrap CIs,
optional style control and tie-aware variants (Davidson, Rao-Kupper).

- BT: scikit-learn LogisticRegression without intercept on rows +ln10 at model A, -ln10 at model B; every
  battle gives a row "A won" weighted by A's outcome share plus half the tie share and a row "B won" likewise
  (a tie is half a win). Ratings are 400 w on the Elo scale (400/ln10 times the natural log-strength).
- Tie models: the same linear predictor, fitted by scipy.optimize on the three-outcome likelihood.
- Style control: the normalised differences (A-B)/(A+B) of length (characters), markdown headers, list items
  and bold spans enter as covariates, each divided by its standard deviation (not centred, so a pair of equal
  style has covariates 0), as in LMSYS's "Does style matter?" analysis; their coefficients are natural
  log-odds per standard deviation.
- Penalty: l2/2 |[w, beta]|^2 with l2 = 0.5, which is LMSYS's LogisticRegression(C=1.0) on battles doubled into
  two rows: negligible at arena scale, it keeps a model that never lost finite and fixes the ratings' mean.
- Bootstrap: battles resampled with replacement, all rounds refitted at once by solver's batched Newton
  (warm-started at the full-data fit), percentile intervals.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.sparse.csgraph import connected_components
from sklearn.linear_model import LogisticRegression

from arenapref.data.schema import targets
from arenapref.ranking.likelihood import check_kind, has_tie_parameter, probabilities, terms
from arenapref.ranking.solver import LN10, Design, bootstrap, build_design
from arenapref.ranking.style import LMSYS_STYLE_COEFFICIENTS, style_covariates

ELO_SCALE = 400.0
DEFAULT_L2 = 0.5
TIE_PARAMETER_NAMES = {"davidson": "nu", "rao-kupper": "theta"}


@dataclass
class Comparisons:
    """Battles reduced to what a rating fit reads: cells of identical comparisons with their battle counts."""

    models: list[str]
    a: np.ndarray  # (cells,) index of model A
    b: np.ndarray  # (cells,) index of model B
    target: np.ndarray  # (cells, 3) outcome shares A, B, tie of one battle of the cell
    count: np.ndarray  # (cells,) battles in the cell
    style: np.ndarray  # (cells, k) scaled style covariates (k = 0 without style control)
    style_names: list[str]
    cell_of_battle: np.ndarray  # (battles,) the cell of each battle used
    battles_per_model: np.ndarray  # (models,)
    excluded: dict[str, int] = field(default_factory=dict)  # battles not used, by reason
    notes: list[str] = field(default_factory=list)

    @property
    def n_battles(self) -> int:
        return len(self.cell_of_battle)


def comparisons(battles: pd.DataFrame, style: bool = False) -> Comparisons:
    """The battles with two different model names and a (hard or soft) label, as cells for the fit."""
    target = targets(battles)
    named = battles["model_a"].notna().to_numpy() & battles["model_b"].notna().to_numpy()
    labelled = target.sum(axis=1) > 0
    same = named & (battles["model_a"].to_numpy() == battles["model_b"].to_numpy())
    use = named & labelled & ~same
    excluded = {
        "no model names": int((~named).sum()),
        "unlabelled": int((named & ~labelled).sum()),
        "same model on both sides": int((same & labelled).sum()),
    }
    if use.sum() == 0:
        raise ValueError("no battle has two different model names and a label")
    used = battles.loc[use]
    models = sorted(set(used["model_a"]) | set(used["model_b"]))
    index = {m: i for i, m in enumerate(models)}
    a = used["model_a"].map(index).to_numpy(np.int64)
    b = used["model_b"].map(index).to_numpy(np.int64)
    per_model = np.bincount(a, minlength=len(models)) + np.bincount(b, minlength=len(models))
    notes: list[str] = []
    components = connected_components(sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(len(models),) * 2))[0]
    if components > 1:
        notes.append(
            f"the models fall into {components} groups that never met: ratings across groups are not comparable"
        )
    t = target[use]
    if style:
        cov, names, style_notes = style_covariates(used)
        notes += style_notes
        return Comparisons(models, a, b, t, np.ones(len(a)), cov, names, np.arange(len(a)), per_model, excluded, notes)
    keys = pd.DataFrame({"a": a, "b": b, "ta": t[:, 0], "tb": t[:, 1], "tt": t[:, 2]})
    cell_of_battle = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(a))).groupby(cell_of_battle).first().to_numpy()
    count = np.bincount(cell_of_battle).astype(float)
    return Comparisons(
        models, a[first], b[first], t[first], count, np.zeros((len(first), 0)), [], cell_of_battle, per_model,
        excluded, notes,
    )  # fmt: skip


def design_of(comp: Comparisons) -> Design:
    return build_design(comp.a, comp.b, comp.style, len(comp.models))


def fit_bt(design: Design, target: np.ndarray, count: np.ndarray, l2: float = DEFAULT_L2) -> np.ndarray:
    """BT parameters [w, beta] by scikit-learn's LogisticRegression on rows duplicated with outcome weights."""
    win_a = target[:, 0] + target[:, 2] / 2
    win_b = target[:, 1] + target[:, 2] / 2
    X = sp.vstack([design.X, design.X]).tocsr()
    y = np.r_[np.ones(len(target)), np.zeros(len(target))]
    lr = LogisticRegression(fit_intercept=False, C=1.0 / l2, tol=1e-10, max_iter=10_000)
    lr.fit(X, y, sample_weight=np.r_[count * win_a, count * win_b])
    return np.asarray(lr.coef_[0], dtype=float)


def fit_tie_model(
    design: Design, kind: str, target: np.ndarray, count: np.ndarray, l2: float = DEFAULT_L2
) -> np.ndarray:
    """Davidson or Rao-Kupper parameters [w, beta, eta] by scipy.optimize (L-BFGS-B, analytic gradient)."""
    tie_share = float((count * target[:, 2]).sum() / (count * target.sum(axis=1)).sum())
    if tie_share <= 0:
        raise ValueError(f"the {kind} tie model needs ties; these battles have none (use the bt model)")
    tie_share = min(tie_share, 0.99)
    # Start at the BT fit and the tie parameter that gives this tie share between equal models.
    eta0 = math.log(2 * tie_share / (1 - tie_share)) if kind == "davidson" else math.log(math.atanh(tie_share) * 2)
    x0 = np.r_[fit_bt(design, target, count, l2), eta0]
    m = design.n_linear
    weight = count[:, None]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        d = np.asarray(design.X @ theta[:m])[:, None]
        t = terms(kind, d, theta[m:], target, weight)
        assert t.g_e is not None
        grad = np.r_[np.asarray(design.XT @ t.g_d[:, 0]) + l2 * theta[:m], t.g_e.sum()]
        return float(t.loss[0] + 0.5 * l2 * theta[:m] @ theta[:m]), grad

    result = minimize(
        objective, x0, jac=True, method="L-BFGS-B", options={"maxiter": 20_000, "gtol": 1e-10, "ftol": 1e-15}
    )
    return np.asarray(result.x)


def fit_parameters(comp: Comparisons, kind: str = "bt", l2: float = DEFAULT_L2) -> np.ndarray:
    """The full-data fit of the comparisons under one tie model."""
    design = design_of(comp)
    if kind == "bt":
        return fit_bt(design, comp.target, comp.count, l2)
    return fit_tie_model(design, kind, comp.target, comp.count, l2)


@dataclass
class Ratings:
    """A fitted leaderboard: Elo-scale ratings with bootstrap intervals, style coefficients, tie parameter."""

    comp: Comparisons
    kind: str
    theta: np.ndarray
    boot: np.ndarray | None = None  # (rounds, parameters)
    present: np.ndarray | None = None  # (rounds, models): the model played in the round's resample
    anchor: str | None = None
    anchor_rating: float = 1000.0
    level: float = 0.95

    @property
    def models(self) -> list[str]:
        return self.comp.models

    @property
    def style_names(self) -> list[str]:
        return self.comp.style_names

    def index(self, model: str) -> int:
        """Position of a rated model; ValueError naming the rated models otherwise."""
        if model not in self.models:
            shown = ", ".join(self.models[:20]) + (" ..." if len(self.models) > 20 else "")
            raise ValueError(f"{model!r} is not a rated model; rated: {shown}")
        return self.models.index(model)

    def _elo(self, theta: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
        """Ratings of parameter rows (R, p) -> (R, models), anchored; NaN where a model was absent from the round
        (and the whole round when the anchor model was)."""
        elo = ELO_SCALE * theta[:, : len(self.models)]
        if self.anchor is None:
            elo = elo - elo.mean(axis=1, keepdims=True) + self.anchor_rating
        else:
            i = self.index(self.anchor)
            elo = elo - elo[:, [i]] + self.anchor_rating
            if present is not None:
                present = present & present[:, [i]]
        return elo if present is None else np.where(present, elo, np.nan)

    @property
    def ratings(self) -> np.ndarray:
        return self._elo(self.theta[None, :])[0]

    def _interval(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if values.size == 0:
            return np.full(values.shape[1:], np.nan), np.full(values.shape[1:], np.nan)
        tail = 100 * (1 - self.level) / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a model absent from every round: NaN interval
            lo, hi = np.nanpercentile(values, [tail, 100 - tail], axis=0)
        return lo, hi

    def interval(self) -> tuple[np.ndarray, np.ndarray]:
        """Percentile bootstrap interval of each rating (NaN without bootstrap)."""
        boot = self.boot if self.boot is not None else np.zeros((0, len(self.theta)))
        return self._interval(self._elo(boot, self.present))

    def table(self) -> pd.DataFrame:
        """One row per model, best first: rank (1 + models whose lower bound beats its upper bound), rating, CI."""
        lo, hi = self.interval()
        df = pd.DataFrame(
            {
                "model": self.models,
                "rating": self.ratings,
                "lower": lo,
                "upper": hi,
                "battles": self.comp.battles_per_model,
            }
        )
        df["rank"] = (
            [1 + int((lo > u).sum()) for u in hi]
            if self.boot is not None
            else df["rating"].rank(ascending=False, method="min").astype(int)
        )
        return df.sort_values("rating", ascending=False, ignore_index=True)[
            ["rank", "model", "rating", "lower", "upper", "battles"]
        ]

    def style_coefficients(self) -> pd.DataFrame:
        """Style coefficients (log-odds per SD) with intervals, next to LMSYS's published values."""
        p, k = len(self.models), len(self.style_names)
        boot = self.boot[:, p : p + k] if self.boot is not None else np.zeros((0, k))
        lo, hi = self._interval(boot)
        return pd.DataFrame(
            {
                "element": self.style_names,
                "coefficient": self.theta[p : p + k],
                "lower": lo,
                "upper": hi,
                "lmsys": [LMSYS_STYLE_COEFFICIENTS.get(n, np.nan) for n in self.style_names],
            }
        )

    def tie_parameter(self) -> dict[str, Any] | None:
        """Davidson's nu or Rao-Kupper's theta, with its interval; None for bt."""
        if not has_tie_parameter(self.kind):
            return None
        to_value = np.exp if self.kind == "davidson" else lambda eta: np.exp(np.exp(eta))
        boot = to_value(self.boot[:, -1:]) if self.boot is not None else np.zeros((0, 1))
        lo, hi = self._interval(boot)
        value = float(to_value(self.theta[-1]))
        return {"name": TIE_PARAMETER_NAMES[self.kind], "value": value, "lower": float(lo[0]), "upper": float(hi[0])}

    def predict(self, model_a: str, model_b: str) -> np.ndarray:
        """P(A wins), P(B wins), P(tie) between two models of equal style (bt: tie column 0, ties count half)."""
        i, j = self.index(model_a), self.index(model_b)
        d = LN10 * (self.theta[i] - self.theta[j])
        eta = float(self.theta[-1]) if has_tie_parameter(self.kind) else None
        return np.asarray(probabilities(self.kind, d, eta))

    def win_probabilities(self) -> pd.DataFrame:
        """Predicted expected score of the row model against the column model (P(win) + P(tie)/2)."""
        w = self.theta[: len(self.models)]
        eta = float(self.theta[-1]) if has_tie_parameter(self.kind) else None
        p = probabilities(self.kind, LN10 * (w[:, None] - w[None, :]), eta)
        score = p[..., 0] + p[..., 2] / 2
        np.fill_diagonal(score, np.nan)
        return pd.DataFrame(score, index=self.models, columns=self.models)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.kind,
            "style_elements": self.style_names,
            "anchor": self.anchor or "mean",
            "anchor_rating": self.anchor_rating,
            "level": self.level,
            "bootstrap_rounds": 0 if self.boot is None else len(self.boot),
            "battles": self.comp.n_battles,
            "excluded": self.comp.excluded,
            "notes": self.comp.notes,
            "ratings": self.table().to_dict(orient="records"),
            "style_coefficients": self.style_coefficients().to_dict(orient="records"),
            "tie_parameter": self.tie_parameter(),
        }


def fit_ratings(
    battles: pd.DataFrame,
    *,
    kind: str = "bt",
    style: bool = False,
    rounds: int = 1000,
    anchor: str | None = None,
    anchor_rating: float = 1000.0,
    seed: int = 0,
    n_jobs: int = 1,
    l2: float = DEFAULT_L2,
    level: float = 0.95,
) -> Ratings:
    """Fit ratings on battles with model names (and bootstrap `rounds` times; 0 for no intervals)."""
    check_kind(kind)
    comp = comparisons(battles, style=style)
    if anchor is not None and anchor not in comp.models:
        raise ValueError(f"anchor model {anchor!r} is not among the rated models")
    theta = fit_parameters(comp, kind, l2)
    boot = present = None
    if rounds > 0:
        design = design_of(comp)
        boot, present = bootstrap(design, kind, comp.target, comp.cell_of_battle, theta, l2, rounds, seed, n_jobs)
    return Ratings(comp, kind, theta, boot, present, anchor, anchor_rating, level)
