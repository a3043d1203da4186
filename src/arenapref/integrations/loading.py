"""One RewardModel per model directory and process, shared by the adapters (a trainer calls them per batch)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from arenapref.reward.model import RewardModel, load

#: The model directory the adapters read when none is given (verl's and OpenRLHF's reward files take no argument).
ENV_MODEL_DIR = "ARENAPREF_MODEL_DIR"


@functools.cache
def _cached(directory: str, baseline: str | None) -> RewardModel:
    return load(directory) if baseline is None else load(directory, baseline=baseline)


def reward_model(source: str | Path | RewardModel | None, baseline: str | None = None) -> RewardModel:
    """`source` as a RewardModel: itself, or a model directory loaded once per process (None: $ARENAPREF_MODEL_DIR)."""
    if isinstance(source, RewardModel):
        return source
    if source is None:
        source = os.environ.get(ENV_MODEL_DIR)
        if not source:
            raise ValueError(f"no arenapref model directory: pass one, or set {ENV_MODEL_DIR}")
    return _cached(str(Path(source).resolve()), baseline)
