"""Baselines: the class prior, and longer-wins (a calibrated one-feature logistic model on length difference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.schema import targets
from arenapref.models.base import PreferenceModel
from arenapref.models.registry import register


@register
class PriorModel(PreferenceModel):
    """Predicts the training label frequencies, made symmetric in A/B (A and B share their mean)."""

    name = "prior"

    def __init__(self, proba: list[float] | None = None) -> None:
        self.proba = np.asarray(proba if proba is not None else [1 / 3] * 3, dtype=float)

    def fit(self, battles: pd.DataFrame) -> PriorModel:
        y = targets(battles).mean(axis=0)
        ab = (y[0] + y[1]) / 2
        self.proba = np.array([ab, ab, y[2]]) / (2 * ab + y[2])
        return self

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        return np.tile(self.proba, (len(battles), 1))

    def get_state(self) -> dict[str, Any]:
        return {"proba": self.proba.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> PriorModel:
        return cls(state["proba"])
