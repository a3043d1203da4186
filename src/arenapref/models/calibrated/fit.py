"""Fitting the calibration family on a small labelled sample of the target arena, honestly.

- The fit is the posterior mode: it minimises the sample's summed log loss (as the benchmark scores it: 2-way
  battles by their direction only) plus a prior's negative log density, in units of battles, over the parameters
  being fit (the others stay at the identity). Each parameter's prior is STRENGTH * (theta - identity)^2, a
  Gaussian centred on the model as it is, except the direction scale a's: an equal mixture of two such Gaussians,
  one at 1 (the model's direction transfers) and one at 0 (it carries nothing in this arena: the sample's class
  prior, the other reference a calibration must beat). The strength is fixed: STRENGTH = 2 weighs a unit deviation
  as much as two battles' log loss, so the model's own values hold on a handful of battles and give way as the
  sample grows. a, c >= 0, down to 0. The mixture is searched from both anchors; the lower objective is kept.
- The cross-validation reported (`before`, `after`): FOLDS folds grouped by prompt (data.folds), the calibration
  fit on each fold's training part and scored on its held-out part, the held-out losses pooled; `before` is the
  model as it is on the same battles. A calibration whose `after` exceeds `before` by more than the standard error
  of the per-battle difference is not to be used.
- A sample with fewer than MIN_BATTLES labelled battles or MIN_PROMPTS distinct prompts is refused (SampleTooSmall).

Choices made on development draws of the benchmark's transfer-calibrated protocol at k = 100 (bench seeds 100 to
1000, never the reported seed 0):
- the strength is fixed, not chosen per sample: an inner cross-validation choosing it (or choosing between the
  model, the fit and the class prior) on 20 to 200 battles added more noise than it removed;
- the refusal is "worse by more than one standard error", not "worse" (with plain "worse" a 100-battle sample that
  cannot see a small miscalibration kept it) and not "less than one standard error better", which kept too many
  miscalibrated models;
- the direction scale's two-anchor prior at strength 2, against one anchor at the identity at strengths 0.25 to 8,
  priors weighing "virtual battles" labelled by the model's own predictions, and an anchor at 0 alone. Mean over
  the ten seeds of (calibrated - the better reference): hh-rlhf, where the model is nearly a coin flip (best
  a = 0.24 on all its battles), +0.0019 with one anchor at strength 1 and +0.0011 with two at strength 2; tulu1,
  where it is nearly right, -0.0004 and -0.0011; hhh -0.0018 and -0.0014; the other sets gain 0.008 to 0.2 either
  way. An anchor at 0 alone reached -0.0010 on hh-rlhf at strength 4 but lost on hhh and tulu1 (+0.0009, +0.0023
  at strength 1): 100 battles of hh-rlhf tell its a = 0.24 from 0 by less than one standard error.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize
from scipy.special import expit, logsumexp

from arenapref.data.folds import grouped_folds, prompt_groups
from arenapref.data.schema import targets
from arenapref.models.calibrated.family import EPS, Calibration, CalibrationInputs, log_loss_terms

#: What `--what` can name, and the parameters each frees.
WHAT: dict[str, tuple[str, ...]] = {
    "ties": ("tie_offset",),
    "temperature": ("direction_scale", "tie_scale"),
    "length": ("length_weight",),
    "all": Calibration.names(),
}
DEFAULT_WHAT = ("ties", "temperature")
#: The prior's weight, in battles (module docstring).
STRENGTH = 2.0
#: The direction scale's prior is an equal mixture around these: the model's direction transfers (1), or it
#: carries nothing in this arena (0, the sample's class prior).
DIRECTION_ANCHORS = np.array([1.0, 0.0])
_DIRECTION = Calibration.names().index("direction_scale")
FOLDS = 5
MIN_BATTLES = 20
MIN_PROMPTS = 10
_LOWER = {"direction_scale": 0.0, "tie_scale": 0.0}


class SampleTooSmall(ValueError):
    """The sample cannot support a cross-validated calibration."""


def parameters(what: Iterable[str]) -> tuple[str, ...]:
    """The parameters freed by `what` (names of WHAT), in the family's order; ValueError for an unknown name."""
    names = list(what)
    unknown = [n for n in names if n not in WHAT]
    if unknown or not names:
        raise ValueError(f"unknown calibration part {', '.join(unknown) or '(none)'}; known: {', '.join(WHAT)}")
    free = {p for n in names for p in WHAT[n]}
    return tuple(p for p in Calibration.names() if p in free)


@dataclass(frozen=True)
class Sample:
    """Labelled battles of the target arena with the model's probabilities on them (both orders averaged)."""

    battles: pd.DataFrame
    inputs: CalibrationInputs
    target: np.ndarray
    tie_allowed: np.ndarray

    @classmethod
    def build(cls, battles: pd.DataFrame, proba: np.ndarray) -> Sample:
        """The battles with a hard or soft label (targets: soft where present) and their rows of `proba`."""
        y = targets(battles)
        known = np.flatnonzero(y.sum(axis=1) > 0)
        part = battles.iloc[known].reset_index(drop=True)
        inputs = CalibrationInputs.from_proba(np.asarray(proba, dtype=float)[known], part)
        return cls(part, inputs, y[known], part["tie_allowed"].to_numpy(dtype=bool))

    def rows(self, index: np.ndarray) -> Sample:
        part = self.battles.iloc[index].reset_index(drop=True)
        return Sample(part, self.inputs.rows(index), self.target[index], self.tie_allowed[index])

    def losses(self, calibration: Calibration) -> np.ndarray:
        return log_loss_terms(calibration, self.inputs, self.target, self.tie_allowed)[0]

    @property
    def prompts(self) -> int:
        groups = prompt_groups(self.battles)
        return int(groups.max()) + 1 if len(groups) else 0

    def __len__(self) -> int:
        return len(self.target)


@dataclass(frozen=True)
class CrossValidation:
    """Pooled held-out log loss of the sample before (the model as it is) and after calibration."""

    before: float
    after: float
    folds: int
    standard_error: float = 0.0  # of the mean per-battle difference after - before

    @property
    def worse(self) -> bool:
        """The cross-validation says the calibration is worse: `after` exceeds `before` by more than the standard
        error of their difference (a difference within its own noise says nothing either way)."""
        return self.after - self.before > self.standard_error


@dataclass(frozen=True)
class CalibrationFit:
    calibration: Calibration
    strength: float
    free: tuple[str, ...]
    cv: CrossValidation

    @property
    def usable(self) -> Calibration:
        """The calibration to use: the fit, or the identity (the model as it is) when the cross-validation calls the
        fit worse."""
        return Calibration() if self.cv.worse else self.calibration


def penalty(theta: np.ndarray, fitted: np.ndarray, strength: float) -> tuple[float, np.ndarray]:
    """The prior's negative log density (in battles, up to a constant) at the family's vector `theta`, and its
    gradient: strength * (theta - identity)^2 on each `fitted` parameter (a boolean mask over Calibration.names())
    but the direction scale, whose prior is the equal mixture of strength * (a - anchor)^2 over DIRECTION_ANCHORS."""
    shift = np.where(fitted, theta - Calibration().vector(), 0.0)
    shift[_DIRECTION] = 0.0
    value, grad = strength * float((shift**2).sum()), 2 * strength * shift
    if fitted[_DIRECTION]:
        a = theta[_DIRECTION]
        exponents = -strength * (a - DIRECTION_ANCHORS) ** 2
        weights = np.exp(exponents - logsumexp(exponents))
        value -= float(logsumexp(exponents) - np.log(len(DIRECTION_ANCHORS)))
        grad[_DIRECTION] = 2 * strength * float((weights * (a - DIRECTION_ANCHORS)).sum())
    return value, grad


def fit_calibration(sample: Sample, free: tuple[str, ...], strength: float) -> Calibration:
    """The penalised fit of the `free` parameters (the others at the identity): the posterior mode, the better of
    the searches started at each anchor of the direction scale."""
    names = Calibration.names()
    identity = Calibration().vector()
    index = np.array([names.index(p) for p in free], dtype=int)
    if len(index) == 0 or len(sample) == 0:
        return Calibration()
    fitted = np.isin(np.arange(len(names)), index)
    inputs = sample.inputs

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        full = identity.copy()
        full[index] = x
        loss, grad_d, grad_t = log_loss_terms(Calibration.from_vector(full), inputs, sample.target, sample.tie_allowed)
        grad = np.array(
            [
                (grad_d * inputs.direction).sum(),
                (grad_d * inputs.prior).sum(),
                (grad_t * inputs.tie).sum(),
                grad_t.sum(),
            ]
        )
        prior, prior_grad = penalty(full, fitted, strength)
        return float(loss.sum() + prior), (grad + prior_grad)[index]

    bounds = [(_LOWER.get(p), None) for p in free]
    starts = [identity.copy() for _ in DIRECTION_ANCHORS] if fitted[_DIRECTION] else [identity.copy()]
    for start, anchor in zip(starts, DIRECTION_ANCHORS, strict=False):
        start[_DIRECTION] = anchor
    results = [minimize(objective, start[index], jac=True, method="L-BFGS-B", bounds=bounds) for start in starts]
    full = identity.copy()
    full[index] = min(results, key=lambda r: float(r.fun)).x
    return Calibration.from_vector(full)


def folds_of(sample: Sample, n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Folds grouped by prompt (at most n_splits, at least 2); None when the prompts are too few."""
    n = min(n_splits, sample.prompts)
    if n < 2:
        return None
    with warnings.catch_warnings():  # a class with fewer battles than folds is expected in a small sample
        warnings.simplefilter("ignore", UserWarning)
        return list(grouped_folds(sample.battles, n, seed))


def check_size(sample: Sample) -> None:
    """SampleTooSmall (saying why) when the sample is below MIN_BATTLES battles or MIN_PROMPTS prompts."""
    if len(sample) < MIN_BATTLES or sample.prompts < MIN_PROMPTS:
        raise SampleTooSmall(
            f"{len(sample)} labelled battles with {sample.prompts} distinct prompts; calibration needs at least "
            f"{MIN_BATTLES} battles and {MIN_PROMPTS} prompts for its {FOLDS}-fold cross-validation"
        )


def calibrate(sample: Sample, free: tuple[str, ...], seed: int = 0, strength: float = STRENGTH) -> CalibrationFit:
    """Fit the calibration on the whole sample and cross-validate the fit on it (folds grouped by prompt)."""
    check_size(sample)
    folds = folds_of(sample, FOLDS, seed)
    assert folds is not None
    after = np.zeros(len(sample))
    for train, test in folds:
        part = sample.rows(train)
        after[test] = sample.rows(test).losses(fit_calibration(part, free, strength))
    unchanged = sample.losses(Calibration())
    se = float(np.std(after - unchanged, ddof=1) / np.sqrt(len(sample)))
    cv = CrossValidation(float(unchanged.mean()), float(after.mean()), len(folds), se)
    return CalibrationFit(fit_calibration(sample, free, strength), strength, free, cv)


def tie_offset_for_rate(tie: np.ndarray, rate: float) -> float:
    """The offset o with which the mean of sigmoid(tie + o) over the battles (tie: their tie logits) is `rate`."""
    if not 0 < rate < 1:
        raise ValueError(f"a tie rate must lie strictly between 0 and 1, not {rate}")
    if len(tie) == 0:
        raise ValueError("no battles to match the tie rate on")
    return float(brentq(lambda o: float(expit(tie + o).mean()) - rate, -60.0, 60.0, xtol=1e-10))


def shift_tie_rate(proba: np.ndarray, rate: float) -> np.ndarray:
    """(n, 3) probabilities with the tie odds of every battle multiplied by one factor, chosen so that the mean
    P(tie) over them is `rate`; P(A) : P(B) of each battle is kept (`predict --tie-rate`)."""
    p = np.clip(np.asarray(proba, dtype=float), EPS, None)
    decided = p[:, 0] + p[:, 1]
    logit = np.log(p[:, 2] / decided)
    tie = expit(logit + tie_offset_for_rate(logit, rate))
    return np.column_stack([(1 - tie) * p[:, 0] / decided, (1 - tie) * p[:, 1] / decided, tie])
