"""`arenapref.load(MODEL_DIR)`: a preference model as a reward model (compare, rank, reward)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from arenapref.models.base import PreferenceModel
from arenapref.reward.compare import Scorer, model_scorer
from arenapref.reward.inputs import InputError, check_lengths, pairs
from arenapref.reward.limits import DEFAULT_BASELINE, MAX_CANDIDATES
from arenapref.reward.rank import rank_groups
from arenapref.reward.reference import Rewards, rewards
from arenapref.reward.strengths import Ranking
from arenapref.reward.templated import split_query


class RewardModel:
    """A preference model used as a reward model. Prompts and answers are plain strings or OpenAI-style message
    lists (multi-turn included; see reward/inputs.py).

    - compare(prompts, answers_a, answers_b) -> (n, 3) [A wins, B wins, tie], both orders averaged;
    - rank(prompt, candidates) -> Ranking: Bradley-Terry scores over every pair, ranks, Copeland wins, best;
    - reward(prompts, completions, references=None) -> P(completion beats its reference) + P(tie) / 2 per row,
      against `baseline` where a row has no reference.
    """

    def __init__(
        self,
        model: PreferenceModel,
        *,
        baseline: str = DEFAULT_BASELINE,
        max_candidates: int = MAX_CANDIDATES,
        scorer: Scorer | None = None,
    ) -> None:
        if max_candidates < 1:
            raise ValueError("max_candidates must be at least 1")
        self.model = model
        self.baseline = baseline
        self.max_candidates = max_candidates
        self.scorer = scorer or model_scorer(model)

    @property
    def name(self) -> str:
        return self.model.name

    def compare(self, prompts: Sequence[Any], answers_a: Sequence[Any], answers_b: Sequence[Any]) -> np.ndarray:
        """(n, 3) probabilities that answer A wins, B wins, or they tie, for each prompt."""
        rows = pairs(prompts, answers_a, answers_b)
        return self.scorer(rows) if rows else np.zeros((0, 3))

    def rank(self, prompt: Any, candidates: Sequence[Any]) -> Ranking:
        """Rank one prompt's candidates (at most `max_candidates`; CandidateLimitError beyond)."""
        try:
            return rank_groups(self.scorer, [prompt], [candidates], self.max_candidates)[0]
        except InputError as exc:
            raise exc.at_row(None) from None

    def rank_many(
        self,
        prompts: Sequence[Any],
        candidate_lists: Sequence[Sequence[Any]],
        progress: Callable[[int], None] | None = None,
    ) -> list[Ranking]:
        """Rank several prompts' candidates, their pairs scored together in blocks (errors name the row)."""
        return rank_groups(self.scorer, prompts, candidate_lists, self.max_candidates, progress)

    def reward(
        self, prompts: Sequence[Any], completions: Sequence[Any], references: Sequence[Any] | None = None
    ) -> np.ndarray:
        """Per completion, its expected score against its reference (a blank or None one: the baseline)."""
        return self.reward_details(prompts, completions, references).rewards

    def reward_details(
        self, prompts: Sequence[Any], completions: Sequence[Any], references: Sequence[Any] | None = None
    ) -> Rewards:
        """reward() with P(win), P(tie) and whether each row had a reference."""
        return rewards(self.scorer, prompts, completions, references, self.baseline)

    def reward_templated(
        self, queries: Sequence[str], prompts: Sequence[str] | None = None, labels: Sequence[Any] | None = None
    ) -> Rewards:
        """Rewards of chat-templated queries (prompt + response, special tokens kept, as OpenRLHF sends them): the
        response is the query after its prompt (reward/templated.py), the reference its label when given."""
        columns = {"query": queries, "prompts": prompts, "labels": labels}
        check_lengths(**{name: column for name, column in columns.items() if column is not None})
        split = [split_query(q, None if prompts is None else prompts[i]) for i, q in enumerate(queries)]
        references = None if labels is None else [_label_text(label) for label in labels]
        prompt_dialogues = [[{"role": role, "content": text} for role, text in messages] for messages, _ in split]
        return self.reward_details(prompt_dialogues, [response for _, response in split], references)


def _label_text(label: Any) -> str | None:
    """A dataset label as reference text: text as is, numbers and booleans written out, None or '' for none."""
    if label is None or isinstance(label, str):
        return label
    return str(label)


def load(model_dir: str | Path, **options: Any) -> RewardModel:
    """The model directory's model as a RewardModel (options: baseline, max_candidates)."""
    from arenapref.models import registry

    return RewardModel(registry.load(model_dir), **options)
