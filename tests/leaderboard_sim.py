"""Battles simulated from known ratings, a planted length effect and (optionally) ties, for the leaderboard tests."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arenapref.data.schema import conform
from arenapref.ranking.likelihood import probabilities


@dataclass
class Simulation:
    battles: pd.DataFrame
    truth: pd.Series  # true rating per model, Elo scale, mean 1000
    length_coef: float
    tie_param: float | None  # Davidson nu or Rao-Kupper theta


def simulate(
    seed: int,
    n_battles: int = 20_000,
    n_models: int = 10,
    kind: str = "bt",
    tie_param: float | None = None,
    length_coef: float = 0.0,
    verbosity: float = 0.0,
    spread: float = 400.0,
) -> Simulation:
    """Models with ratings evenly spread over `spread` Elo (plus noise); answers' lengths log-normal with a mean that
    grows with the model's rating by `verbosity` (log-scale per 400 Elo). The outcome's log-odds are the rating
    difference (x ln10/400) plus `length_coef` times the normalised length difference (A-B)/(A+B) divided by its
    standard deviation; ties follow Davidson's or Rao-Kupper's model with `tie_param` (nu or theta)."""
    rng = np.random.default_rng(seed)
    elo = np.linspace(-spread / 2, spread / 2, n_models) + rng.normal(0, 10, n_models)
    elo -= elo.mean()
    names = np.array([f"model-{i:02d}" for i in range(n_models)], dtype=object)
    a = rng.integers(0, n_models, n_battles)
    b = (a + rng.integers(1, n_models, n_battles)) % n_models
    mean_log_len = math.log(150) + verbosity * elo / 400
    len_a = np.maximum(1, rng.lognormal(mean_log_len[a], 0.6)).astype(int)
    len_b = np.maximum(1, rng.lognormal(mean_log_len[b], 0.6)).astype(int)
    diff = (len_a - len_b) / (len_a + len_b)
    d = math.log(10) * (elo[a] - elo[b]) / 400 + length_coef * diff / diff.std()
    eta = None
    if kind == "davidson":
        eta = math.log(tie_param or 1.0)
    elif kind == "rao-kupper":
        eta = math.log(math.log(tie_param or 2.0))
    p = probabilities(kind, d, eta)
    u = rng.random(n_battles)
    label = (u > p[:, 0]).astype(int) + (u > p[:, 0] + p[:, 1])
    battles = pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(n_battles)],
            "source": "simulated",
            "prompt": [["question"]] * n_battles,
            "response_a": [["x" * n] for n in len_a],
            "response_b": [["x" * n] for n in len_b],
            "model_a": names[a],
            "model_b": names[b],
            "label": label,
            "tie_allowed": kind != "bt",
        }
    )
    truth = pd.Series(elo + 1000, index=names)
    return Simulation(conform(battles), truth, length_coef, tie_param)


def covered(table: pd.DataFrame, truth: pd.Series) -> np.ndarray:
    """Per model of a Ratings.table(): does its interval contain the true rating?"""
    true = table["model"].map(truth).to_numpy()
    return (table["lower"].to_numpy() <= true) & (true <= table["upper"].to_numpy())
