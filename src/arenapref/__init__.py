"""arenapref: predict which of two chatbot responses a person will prefer (A wins / B wins / tie)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arenapref.reward.model import RewardModel

__version__ = "0.1.0"


def load(model_dir: str | Path, **options: Any) -> RewardModel:
    """A saved model directory as a reward model: compare, rank (best-of-n) and reward (see arenapref.reward).
    Options: baseline (the answer compared with where there is no reference), max_candidates (per rank call)."""
    from arenapref.reward.model import load as load_reward_model  # here, so `import arenapref` stays light

    return load_reward_model(model_dir, **options)
