"""The calibration family: four numbers that move a trained model's probabilities to another arena.

From a model's probabilities p (averaged over both orders of a battle), the direction log-odds
d = log p_A - log p_B (antisymmetric: a swap negates it) and the tie logit t = log p_T - log(p_A + p_B) (symmetric).
The calibrated probabilities are

    d' = a * d + b * prior(l),   t' = c * t + o,   P = [(1 - T) sigmoid(d'), (1 - T) sigmoid(-d'), T],  T = sigmoid(t')

with prior(l) = sign(l) sqrt|l| of the normalised length difference of the responses (A - B), as the fast model's
length prior (trees/calibration.py), here computed from the texts so it applies to any model. a (1 / the direction
temperature) and c (1 / the tie temperature) are >= 0, b (the weight of the length prior) and o (the tie offset)
are free. The identity is a = c = 1, b = o = 0. Mirror symmetry is exact: d and prior(l) change sign under a swap,
t does not, and sigmoid(d') of a battle is computed from the very number whose negation its swap computes.
a = c = 0 gives P(A) = P(B) = (1 - sigmoid(o)) / 2 on every battle: the symmetric class prior is in the family.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit

from arenapref.models.baselines import length_difference

#: Probabilities are clipped to this before taking logs (a model may give a class exactly 0).
EPS = 1e-6


@dataclass(frozen=True)
class Calibration:
    """The four numbers of the family; the defaults are the identity (the model as it is)."""

    direction_scale: float = 1.0  # a
    length_weight: float = 0.0  # b
    tie_scale: float = 1.0  # c
    tie_offset: float = 0.0  # o

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in self.names()], dtype=float)

    @classmethod
    def from_vector(cls, values: np.ndarray) -> Calibration:
        return cls(*(float(v) for v in values))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def is_identity(self) -> bool:
        return self == Calibration()

    def direction(self, inputs: CalibrationInputs) -> np.ndarray:
        """d' of each battle."""
        out = self.direction_scale * inputs.direction
        return out + self.length_weight * inputs.prior if self.length_weight else out

    def tie(self, inputs: CalibrationInputs) -> np.ndarray:
        """t' of each battle."""
        return self.tie_scale * inputs.tie + self.tie_offset

    def proba(self, inputs: CalibrationInputs) -> np.ndarray:
        """(n, 3) calibrated probabilities [A wins, B wins, tie]."""
        d, t = self.direction(inputs), self.tie(inputs)
        tie = expit(t)
        return np.column_stack([(1 - tie) * expit(d), (1 - tie) * expit(-d), tie])


@dataclass(frozen=True)
class CalibrationInputs:
    """What the family reads of each battle: d, t (from the model's probabilities) and the length prior."""

    direction: np.ndarray
    tie: np.ndarray
    prior: np.ndarray

    @classmethod
    def from_proba(cls, proba: np.ndarray, battles: pd.DataFrame) -> CalibrationInputs:
        """From (n, 3) probabilities averaged over both orders, and the battles (for the length prior)."""
        log_p = np.log(np.clip(np.asarray(proba, dtype=float), EPS, None))
        direction = log_p[:, 0] - log_p[:, 1]
        tie = log_p[:, 2] - np.log(np.clip(np.asarray(proba, dtype=float)[:, :2].sum(axis=1), EPS, None))
        return cls(direction, tie, length_prior(battles))

    def rows(self, index: np.ndarray) -> CalibrationInputs:
        return CalibrationInputs(self.direction[index], self.tie[index], self.prior[index])

    def __len__(self) -> int:
        return len(self.direction)


def length_prior(battles: pd.DataFrame) -> np.ndarray:
    """sign(l) sqrt|l| of the normalised length difference l = (chars A - chars B) / (chars A + chars B)."""
    diff = length_difference(battles)
    return np.sign(diff) * np.sqrt(np.abs(diff))


def log_loss_terms(
    calibration: Calibration, inputs: CalibrationInputs, target: np.ndarray, tie_allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per battle: the loss as the benchmark scores it (cross-entropy against soft targets; on a battle of a 2-way
    set, tie_allowed False, only the direction: P(A) / (P(A) + P(B)) against the target's A/B split), and its
    derivatives with respect to d' and t'."""
    d, t = calibration.direction(inputs), calibration.tie(inputs)
    y_a, y_b, y_t = target[:, 0], target[:, 1], target[:, 2]
    mass = y_a + y_b
    share_a = np.divide(y_a, mass, out=np.full(len(mass), 0.5), where=mass > 0)
    direction_loss = -(y_a * log_expit(d) + y_b * log_expit(-d))
    tie_loss = -(mass * log_expit(-t) + y_t * log_expit(t))
    loss = np.where(tie_allowed, direction_loss + tie_loss, -(share_a * log_expit(d) + (1 - share_a) * log_expit(-d)))
    grad_d = np.where(tie_allowed, mass * expit(d) - y_a, expit(d) - share_a)
    grad_t = np.where(tie_allowed, (mass + y_t) * expit(t) - y_t, 0.0)
    return loss, grad_d, grad_t


def mean_log_loss(
    calibration: Calibration, inputs: CalibrationInputs, target: np.ndarray, tie_allowed: np.ndarray
) -> float:
    """Mean of log_loss_terms over the battles."""
    return float(log_loss_terms(calibration, inputs, target, tie_allowed)[0].mean())
