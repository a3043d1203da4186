"""OpenRLHF: the reward without a server. OpenRLHF takes a Python file as its remote reward (`--reward.remote_url
reward.py`, `--remote_rm_url` up to 0.10.1) and calls its `reward_func(queries, prompts, labels)`; a file holding

    from arenapref.integrations.openrlhf import reward_func

does it, with the model directory in $ARENAPREF_MODEL_DIR. The reply is the one `arenapref serve` gives at POST
/get_reward (reward/openrlhf.py), as torch tensors (torch is OpenRLHF's own dependency; imported when called).
Nothing of OpenRLHF is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arenapref.integrations.loading import reward_model
from arenapref.reward.openrlhf import reply


def reward_func(
    queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any] | None = None, **_: Any
) -> dict[str, Any]:
    """{"rewards", "scores", "extra_logs"} for OpenRLHF's queries (see reward/templated.py for how the response is
    recovered from each query)."""
    import torch

    answer = reply(reward_model(None), list(queries), list(prompts), None if labels is None else list(labels))
    tensor = lambda values: torch.tensor(values, dtype=torch.float32)  # noqa: E731
    return {
        "rewards": tensor(answer["rewards"]),
        "scores": tensor(answer["scores"]),
        "extra_logs": {name: tensor(values) for name, values in answer["extra_logs"].items()},
    }
