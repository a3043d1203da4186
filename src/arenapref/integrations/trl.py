"""TRL: an arenapref model as a GRPO / RLOO reward function, and as a pairwise judge (TRL <= 1.0's judges).

    from arenapref.integrations.trl import reward_function
    trainer = GRPOTrainer(model=..., reward_funcs=[reward_function("model_dir")], ...)

TRL calls a reward function as f(prompts=..., completions=..., **columns): strings for standard data, message
lists for conversational data; every dataset column but `prompt` arrives as a keyword (plus TRL's own, such as
`completion_ids` and `trainer_state`, which are ignored). Each completion is rewarded on its own (against its
reference or the baseline), so a call holding only part of a group of generations gets the same numbers.
Nothing of TRL is imported here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from arenapref.integrations.loading import reward_model
from arenapref.reward.compare import expected_score
from arenapref.reward.inputs import InputError
from arenapref.reward.model import RewardModel


class ArenaprefReward:
    """A TRL reward function: P(completion beats the reference) + P(tie) / 2 per completion, in [0, 1]. TRL logs it
    as `rewards/arenapref/mean` (the name is `__name__`)."""

    def __init__(self, model: RewardModel, reference_column: str | None = None, name: str = "arenapref") -> None:
        self.model = model
        self.reference_column = reference_column
        self.__name__ = name

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float | None]:
        references = None
        if self.reference_column is not None:
            if self.reference_column not in columns:
                shown = ", ".join(sorted(k for k in columns if k not in {"trainer_state", "log_extra", "log_metric"}))
                raise KeyError(f"reference column {self.reference_column!r} is not in the dataset (columns: {shown})")
            references = columns[self.reference_column]
        return [float(r) for r in self.model.reward(list(prompts), list(completions), references)]


def reward_function(
    model_dir: str | Path | RewardModel,
    reference_column: str | None = None,
    *,
    baseline: str | None = None,
    name: str = "arenapref",
) -> ArenaprefReward:
    """A reward function for GRPOTrainer / RLOOTrainer (`reward_funcs=[...]`). `reference_column`: the dataset
    column holding each prompt's reference answer (blank or None: the baseline); without it, every completion is
    compared with `baseline` (arenapref's default baseline when None). The model loads once per process."""
    return ArenaprefReward(reward_model(model_dir, baseline), reference_column, name)


class PairwiseJudge:
    """TRL's pairwise judge interface (`BasePairwiseJudge`, removed in TRL 1.1), for users of TRL <= 1.0, e.g.
    OnlineDPOTrainer(judge=PairwiseJudge("model_dir")). Both orders are averaged, so `shuffle_order` changes
    nothing; it is accepted for the signature."""

    def __init__(self, model_dir: str | Path | RewardModel, baseline: str | None = None) -> None:
        self.model = reward_model(model_dir, baseline)

    def judge(
        self,
        prompts: list[str],
        completions: list[list[str]],
        shuffle_order: bool = True,
        return_scores: bool = False,
    ) -> list[int] | list[float]:
        """Per prompt, the index (0 or 1) of the preferred completion of its pair (0 when they are exactly even),
        -1 for a row that is not a pair of readable texts; with return_scores, P(the first is preferred) + P(tie)/2
        instead (NaN for such a row)."""
        good = [i for i, pair in enumerate(completions) if isinstance(pair, (list, tuple)) and len(pair) == 2]
        rows = [(prompts[i], completions[i][0], completions[i][1]) for i in good]
        score = np.full(len(completions), np.nan)
        try:
            proba = self.model.compare([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
            score[good] = expected_score(proba)
        except InputError:  # some row is not text: judge row by row, so only the bad ones fail
            for i, row in zip(good, rows, strict=True):
                with contextlib.suppress(InputError):
                    score[i] = expected_score(self.model.compare([row[0]], [row[1]], [row[2]]))[0]
        if return_scores:
            return [float(s) for s in score]
        return [-1 if np.isnan(s) else 0 if s >= 0.5 else 1 for s in score]
