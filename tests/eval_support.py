"""Helpers for the evaluation tests: synthetic battle tables with known structure, and models with known bias."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from arenapref.data.io import write_battles
from arenapref.data.schema import conform
from arenapref.models.baselines import PriorModel


def synthetic_battles(
    source: str, n: int, seed: int = 0, tie_allowed: bool = True, n_prompts: int | None = None
) -> pd.DataFrame:
    """Battles whose longer response wins with probability 0.75 (ties 20% where allowed); prompts repeat when
    n_prompts < n, so grouping by prompt matters."""
    rng = np.random.default_rng(seed)
    n_prompts = n_prompts or n
    len_a, len_b = rng.integers(5, 400, n), rng.integers(5, 400, n)
    longer_is_a = len_a >= len_b
    follows = rng.random(n) < 0.75
    label = np.where(follows == longer_is_a, 0, 1)
    if tie_allowed:
        label = np.where(rng.random(n) < 0.2, 2, label)
    prompts = [f"{source} question {i % n_prompts}" for i in range(n)]
    return conform(
        pd.DataFrame(
            {
                "id": [f"{source}-{i}" for i in range(n)],
                "source": source,
                "prompt": [[p] for p in prompts],
                "response_a": [["a" * k] for k in len_a],
                "response_b": [["b" * k] for k in len_b],
                "label": label,
                "tie_allowed": tie_allowed,
            }
        )
    )


def write_sets(directory: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Each table as `<directory>/<name>/battles.parquet`; returns the directory."""
    for name, table in tables.items():
        folder = directory / name
        folder.mkdir(parents=True, exist_ok=True)
        write_battles(table, folder / "battles.parquet")
    return directory


class ConstantModel(PriorModel):
    """Always predicts the same probabilities, whatever the battle: a purely positional model when P(A) != P(B)."""

    name: ClassVar[str] = "constant"

    def __init__(self, proba: tuple[float, float, float] | list[float] = (0.6, 0.3, 0.1)) -> None:
        super().__init__(list(proba))

    def fit(self, battles: pd.DataFrame) -> ConstantModel:
        return self


class CountingModel(ConstantModel):
    """A symmetric constant model that counts fit calls across instances (for the cache test)."""

    name: ClassVar[str] = "counting"
    fits: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__((0.4, 0.4, 0.2))

    def fit(self, battles: pd.DataFrame) -> CountingModel:
        CountingModel.fits += 1
        return self
