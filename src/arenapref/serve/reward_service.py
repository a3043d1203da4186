"""The reward endpoints' work: limits, then reward/ with a scorer that queues pairs on a micro-batcher, so
concurrent one-sample requests (OpenRLHF sends one sample per request) are scored in one vectorised call."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from arenapref.reward.compare import compare_pairs
from arenapref.reward.inputs import InputError, Pair, answer_text
from arenapref.reward.model import RewardModel
from arenapref.reward.openrlhf import reply
from arenapref.serve.batcher import MicroBatcher
from arenapref.serve.reward_schemas import RankIn, RankOut, RewardRequest
from arenapref.serve.service import InputLimitError, ModelFailure, PredictionService

log = logging.getLogger("arenapref.serve")


class RewardService:
    """Ranks and rewards with the prediction service's model, one model call at a time (its model lock)."""

    def __init__(self, service: PredictionService) -> None:
        self.service = service
        self.settings = service.settings
        self._batcher: MicroBatcher[Pair, np.ndarray] = MicroBatcher(self._score, self.settings.max_batch)
        self.model = RewardModel(
            service.model,
            baseline=self.settings.baseline,
            max_candidates=self.settings.max_candidates,
            scorer=self._submit,
        )

    def _submit(self, pairs: Sequence[Pair]) -> np.ndarray:
        rows = self._batcher.submit(list(pairs), False)
        return np.vstack(rows) if rows else np.zeros((0, 3))

    def _score(self, pairs: list[Pair], _: bool) -> list[np.ndarray]:
        try:
            with self.service.model_lock:
                proba = compare_pairs(self.service.model, pairs)
        except Exception as exc:
            log.exception("model %s failed on %d pairs", self.service.model.name, len(pairs))
            raise ModelFailure("the model could not score this request") from exc
        return list(proba)

    def close(self) -> None:
        self._batcher.close()

    def rank(self, request: RankIn) -> RankOut:
        limit = self.settings.max_candidates
        if len(request.candidates) > limit:
            n = len(request.candidates)
            raise InputLimitError([("body.candidates", f"{n} candidates; the limit is {limit} per call")])
        self._check_chars([("body.prompt", _plain(request.prompt))])
        self._check_chars([(f"body.candidates.{k}", _plain(c)) for k, c in enumerate(request.candidates)])
        try:
            ranking = self.model.rank(_plain(request.prompt), [_plain(c) for c in request.candidates])
        except InputError as exc:
            raise InputLimitError([(f"body.{exc.field}", exc.message)]) from None
        return RankOut(id=request.id, **ranking.to_dict())

    def get_reward(self, request: RewardRequest) -> dict[str, Any]:
        n = len(request.query)
        errors = [
            (f"body.{name}", f"{len(values)} entries; `query` has {n}")
            for name, values in (("prompts", request.prompts), ("labels", request.labels))
            if values is not None and len(values) != n
        ]
        if n > self.settings.max_batch:
            errors.append(("body.query", f"{n} queries; the limit is {self.settings.max_batch} per call"))
        if errors:
            raise InputLimitError(errors)
        texts = [(f"body.query.{i}", q) for i, q in enumerate(request.query)]
        texts += [(f"body.prompts.{i}", p) for i, p in enumerate(request.prompts or [])]
        texts += [(f"body.labels.{i}", v) for i, v in enumerate(request.labels or []) if isinstance(v, str)]
        self._check_chars(texts)
        try:
            return reply(self.model, request.query, request.prompts, request.labels)
        except InputError as exc:
            raise InputLimitError([(f"body.{exc.field}", exc.message)]) from None

    def _check_chars(self, texts: list[tuple[str, Any]]) -> None:
        """InputLimitError naming every text (a message list: its texts together) over max_chars."""
        limit = self.settings.max_chars
        errors = []
        for field, value in texts:
            n = len(value) if isinstance(value, str) else len(answer_text(value, field))
            if n > limit:
                errors.append((field, f"text has {n} characters; the limit is {limit}"))
        if errors:
            raise InputLimitError(errors)


def _plain(value: Any) -> Any:
    """A request's conversation as reward/ reads it: text, or message dicts."""
    if isinstance(value, list):
        return [m.model_dump(exclude_none=True) if hasattr(m, "model_dump") else m for m in value]
    return value
