"""Summary statistics of a battle table for `data inspect`: labels, turn counts, text length quantiles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

QUANTILES = (0.1, 0.5, 0.9)


def text_lengths(turns: pd.Series) -> pd.Series:
    """Characters per row over all turns of a list column (None turns count 0); vectorised via explode."""
    if turns.empty:
        return pd.Series([], dtype=np.int64)
    exploded = turns.explode()
    lengths = exploded.str.len().fillna(0).astype(np.int64)
    return lengths.groupby(level=0).sum().reindex(turns.index, fill_value=0)


def label_counts(df: pd.DataFrame) -> dict[str, int]:
    """Rows per label: A, B, tie and unlabelled."""
    counts = df["label"].value_counts(dropna=False)
    out = {name: int(counts.get(value, 0)) for name, value in (("A", 0), ("B", 1), ("tie", 2))}
    out["unlabelled"] = int(df["label"].isna().sum())
    return out


def turn_counts(df: pd.DataFrame) -> dict[str, float]:
    """Single- and multi-turn rows, mean and max turns."""
    turns = df["prompt"].map(len, na_action="ignore").fillna(0)
    return {
        "single_turn": int((turns == 1).sum()),
        "multi_turn": int((turns > 1).sum()),
        "mean_turns": float(turns.mean()) if len(turns) else 0.0,
        "max_turns": int(turns.max()) if len(turns) else 0,
    }


def length_quantiles(df: pd.DataFrame) -> pd.DataFrame:
    """Character-length quantiles (10 / 50 / 90 %, max) of the prompt and of each response, rows by column."""
    rows = {}
    for column in ("prompt", "response_a", "response_b"):
        lengths = text_lengths(df[column])
        values = lengths.quantile(list(QUANTILES)).to_numpy() if len(lengths) else np.zeros(len(QUANTILES))
        rows[column] = [*values, lengths.max() if len(lengths) else 0]
    names = [f"p{int(q * 100)}" for q in QUANTILES] + ["max"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=names)


@dataclass(frozen=True)
class BattleStats:
    """What `data inspect` shows for one table."""

    rows: int
    labels: dict[str, int]
    soft_labels: int
    turns: dict[str, float]
    lengths: pd.DataFrame
    longer_wins: float
    models: int


def summarise(df: pd.DataFrame) -> BattleStats:
    """Labels, soft labels, turns, length quantiles, longer-wins rate and model count of a table."""
    return BattleStats(
        rows=len(df),
        labels=label_counts(df),
        soft_labels=int(df[["soft_a", "soft_b", "soft_tie"]].notna().all(axis=1).sum()),
        turns=turn_counts(df),
        lengths=length_quantiles(df),
        longer_wins=longer_wins(df),
        models=int(pd.concat([df["model_a"], df["model_b"]]).dropna().nunique()),
    )


def longer_wins(df: pd.DataFrame) -> float:
    """Share of decided (non-tie) battles of unequal lengths that the longer response won; NaN if none."""
    len_a = text_lengths(df["response_a"]).to_numpy()
    len_b = text_lengths(df["response_b"]).to_numpy()
    label = df["label"].to_numpy(dtype=float, na_value=np.nan)
    decided = np.isin(label, (0, 1)) & (len_a != len_b)
    if not decided.any():
        return float("nan")
    return float(((len_a > len_b) == (label == 0))[decided].mean())
