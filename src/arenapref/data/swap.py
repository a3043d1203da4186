"""Swap A and B: responses, models, label (A<->B, tie stays) and soft labels mirrored."""

from __future__ import annotations

import numpy as np
import pandas as pd

MIRROR = np.array([1, 0, 2])


def swap(df: pd.DataFrame) -> pd.DataFrame:
    """The same battles with A and B exchanged; an equally valid table."""
    out = df.copy()
    out["response_a"], out["response_b"] = df["response_b"], df["response_a"]
    out["model_a"], out["model_b"] = df["model_b"], df["model_a"]
    label = df["label"].astype("Int8")
    out["label"] = label.where(label.isna() | (label == 2), 1 - label).astype("Int8")
    out["soft_a"], out["soft_b"] = df["soft_b"], df["soft_a"]
    return out


def swap_proba(proba: np.ndarray) -> np.ndarray:
    """Predictions for swapped battles mapped back to the original order: columns (A, B, tie) -> (B, A, tie)."""
    return np.asarray(proba)[:, MIRROR]
