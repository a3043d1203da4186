"""The one data model: a table of battles (pandas, list columns), as DESIGN.md describes it."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

A_WINS: Final = 0
B_WINS: Final = 1
TIE: Final = 2
LABEL_NAMES: Final = ("winner_model_a", "winner_model_b", "winner_tie")

#: Columns every battle table carries, in this order.
COLUMNS: Final = (
    "id",  # str, unique within a source
    "source",  # str, the set the battle came from
    "prompt",  # list[str | None], one entry per user turn
    "response_a",  # list[str | None], one entry per turn
    "response_b",  # list[str | None]
    "model_a",  # str | None
    "model_b",  # str | None
    "label",  # Int8: 0 A wins, 1 B wins, 2 tie, <NA> unlabelled
    "tie_allowed",  # bool: whether the labelling scheme of the source has a tie class
    "soft_a",  # float, soft label P(A wins), NaN when absent
    "soft_b",  # float
    "soft_tie",  # float
)
SOFT_COLUMNS: Final = ("soft_a", "soft_b", "soft_tie")


def empty_battles() -> pd.DataFrame:
    """A battle table with no rows and the right dtypes."""
    return conform(pd.DataFrame({c: [] for c in COLUMNS}))


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Add missing optional columns, set dtypes and column order; keep extra columns after the standard ones."""
    df = df.copy()
    n = len(df)
    defaults: dict[str, object] = {
        "model_a": None,
        "model_b": None,
        "label": pd.NA,
        "tie_allowed": True,
        "soft_a": np.nan,
        "soft_b": np.nan,
        "soft_tie": np.nan,
    }
    for col, value in defaults.items():
        if col not in df.columns:
            df[col] = [value] * n
    df["id"] = df["id"].astype(str)
    df["source"] = df["source"].astype(str)
    for col in ("model_a", "model_b"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    df["label"] = pd.array(df["label"], dtype="Int8")
    df["tie_allowed"] = df["tie_allowed"].astype(bool)
    for col in SOFT_COLUMNS:
        df[col] = df[col].astype(float)
    extras = [c for c in df.columns if c not in COLUMNS]
    return df[list(COLUMNS) + extras].reset_index(drop=True)


def unlabelled_table(ids: list[str], source: str, turns: dict[str, list[list[str | None]]]) -> pd.DataFrame:
    """A conformed table of unlabelled battles without model names (what a client sends to score), built in one
    step: the same frame conform() gives, at a fraction of its cost for a single battle. `turns` holds the turn
    lists of prompt, response_a and response_b."""
    n = len(ids)
    return pd.DataFrame(
        {
            "id": ids,
            "source": [source] * n,
            "prompt": turns["prompt"],
            "response_a": turns["response_a"],
            "response_b": turns["response_b"],
            "model_a": pd.Series([None] * n, dtype=object),
            "model_b": pd.Series([None] * n, dtype=object),
            "label": pd.array([pd.NA] * n, dtype="Int8"),
            "tie_allowed": np.ones(n, dtype=bool),
            **{col: np.full(n, np.nan) for col in SOFT_COLUMNS},
        }
    )


def labels(df: pd.DataFrame) -> np.ndarray:
    """Integer labels of a fully labelled table; raises if any label is missing."""
    if df["label"].isna().any():
        raise ValueError("battle table has unlabelled rows")
    return df["label"].to_numpy(dtype=np.int64)


def targets(df: pd.DataFrame) -> np.ndarray:
    """(n, 3) training targets: soft labels where present, else one-hot of the hard label."""
    y = np.zeros((len(df), 3))
    hard = df["label"].to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(hard)
    y[np.flatnonzero(known), hard[known].astype(int)] = 1.0
    soft = df[list(SOFT_COLUMNS)].to_numpy(dtype=float)
    has_soft = ~np.isnan(soft).any(axis=1)
    y[has_soft] = soft[has_soft] / soft[has_soft].sum(axis=1, keepdims=True)
    return y


def training_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The battles with a hard or soft label (index reset) and their targets; ValueError when there are none."""
    y = targets(df)
    known = y.sum(axis=1) > 0
    if not known.any():
        raise ValueError("no labelled battles to train on")
    return df[known].reset_index(drop=True), y[known]
