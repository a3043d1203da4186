"""OpenRLHF's remote reward protocol, shared by `arenapref serve` (POST /get_reward) and the in-process
reward function of integrations/openrlhf.py.

Request: {"query": [...], "prompts": [...], "labels": [...]}: each query is the chat-templated prompt plus the
response, decoded with special tokens kept; prompts the templated prompts; labels the dataset field named by
OpenRLHF's label key ("" without one). Reply: {"rewards": [...], "scores": [...], "extra_logs": {...}}, one
float per query. Here reward = score = P(response beats the label, else the baseline) + P(tie) / 2, in [0, 1]
(OpenRLHF's dynamic filtering reads `scores` in [0, 1]); extra_logs holds P(win), P(tie) and whether a label was
used, per query. Empty lists get empty lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arenapref.reward.model import RewardModel

EXTRA_LOGS = ("arenapref_p_win", "arenapref_p_tie", "arenapref_has_label")


def reply(
    model: RewardModel, query: Sequence[str], prompts: Sequence[str] | None, labels: Sequence[Any] | None
) -> dict[str, Any]:
    """OpenRLHF's reply to one request."""
    details = model.reward_templated(query, prompts, labels)
    rewards = [float(r) for r in details.rewards]
    logs = (details.p_win, details.p_tie, details.referenced)
    return {
        "rewards": rewards,
        "scores": list(rewards),
        "extra_logs": {name: [float(v) for v in values] for name, values in zip(EXTRA_LOGS, logs, strict=True)},
    }
