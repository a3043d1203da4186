"""A completion's reward: P(it beats the reference) + P(tie) / 2, against a baseline answer where a row has no
reference (None or blank text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arenapref.reward.compare import Scorer, expected_score
from arenapref.reward.inputs import InputError, Pair, answer_text, check_lengths, conversation


@dataclass(frozen=True)
class Rewards:
    """Per completion: the reward in [0, 1], the probabilities it was made of, and whether a reference was used
    (else the baseline)."""

    rewards: np.ndarray
    p_win: np.ndarray
    p_tie: np.ndarray
    referenced: np.ndarray

    def __len__(self) -> int:
        return len(self.rewards)


def has_text(value: Any) -> bool:
    """A usable reference: not None and not blank (a message list counts by its texts)."""
    if value is None or (isinstance(value, float) and value != value):
        return False
    if isinstance(value, str):
        return bool(value.strip())
    try:
        return bool(answer_text(value, "reference").strip())
    except InputError:
        return True  # let conversation() name the problem


def reward_pairs(
    prompts: Sequence[Any], completions: Sequence[Any], references: Sequence[Any] | None, baseline: str
) -> tuple[list[Pair], np.ndarray]:
    """(completion in A, reference or baseline in B) per row, and which rows had a reference."""
    if references is None:
        check_lengths(prompts=prompts, completions=completions)
        references = [None] * len(prompts)
    else:
        check_lengths(prompts=prompts, completions=completions, references=references)
    pairs, referenced = [], []
    for i, (prompt, completion, reference) in enumerate(zip(prompts, completions, references, strict=True)):
        given = has_text(reference)
        turns, side_a = conversation(prompt, completion, f"prompts[{i}]", f"completions[{i}]")
        _, side_b = conversation(prompt, reference if given else baseline, f"prompts[{i}]", f"references[{i}]")
        pairs.append(Pair(turns, side_a, side_b))
        referenced.append(given)
    return pairs, np.array(referenced, dtype=bool)


def rewards(
    scorer: Scorer,
    prompts: Sequence[Any],
    completions: Sequence[Any],
    references: Sequence[Any] | None,
    baseline: str,
) -> Rewards:
    pairs, referenced = reward_pairs(prompts, completions, references, baseline)
    proba = scorer(pairs) if pairs else np.zeros((0, 3))
    return Rewards(expected_score(proba), proba[:, 0].copy(), proba[:, 2].copy(), referenced)
