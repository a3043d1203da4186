"""From per-feature contributions to reasons: the top features per battle, grouped features (TF-IDF components)
summed into one reason, and each reason's human label and sentence (features/labels.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from arenapref.features.labels import label_of, sentence
from arenapref.models.base import Reason


@dataclass(frozen=True)
class ReadableReason:
    """A reason as a person reads it: `label` and `sentence` (None when the value has no words) beside the raw
    `feature` name, its value, contribution and the class it points toward."""

    feature: str
    label: str
    sentence: str | None
    value: float
    contribution: float
    toward: str


def explanation_units(names: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The names reasons are given under (a feature alone, or its group's name for every member of a group, in
    order of first appearance) and the (features, units) 0/1 matrix that sums features into units."""
    units: list[str] = []
    position: dict[str, int] = {}
    column = np.empty(len(names), dtype=np.int64)
    for j, name in enumerate(names):
        unit = label_of(name).group or name
        if unit not in position:
            position[unit] = len(units)
            units.append(unit)
        column[j] = position[unit]
    membership = np.zeros((len(names), len(units)))
    membership[np.arange(len(names)), column] = 1.0
    return units, membership


def top_reasons(
    names: Sequence[str], values: np.ndarray, contributions: np.ndarray, toward: Sequence[str], top: int
) -> list[list[Reason]]:
    """Per row, the `top` units with the largest |contribution|; a group's contribution is its members' sum and its
    value NaN (no single value). `values` and `contributions` are (rows, features); `toward` names each row's class."""
    units, membership = explanation_units(names)
    summed = np.asarray(contributions, dtype=float) @ membership
    alone = membership.sum(axis=0) == 1
    source = np.argmax(membership, axis=0)  # the one member of a unit that is alone
    out = []
    for i, row in enumerate(summed):
        order = np.argsort(-np.abs(row), kind="stable")[:top]
        out.append(
            [
                Reason(units[u], float(values[i, source[u]]) if alone[u] else math.nan, float(row[u]), toward[i])
                for u in order
            ]
        )
    return out


def readable(reason: Reason) -> ReadableReason:
    """The reason with its label and, where the value can be said in words, its sentence."""
    value = float(reason.value)
    return ReadableReason(
        reason.feature,
        label_of(reason.feature).label,
        sentence(reason.feature, value),
        value,
        float(reason.contribution),
        reason.toward,
    )
