"""Requests to battle table to model and back: limits, one vectorised predict per call, verdicts and reasons."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence

import numpy as np
import pandas as pd

from arenapref.data.schema import unlabelled_table
from arenapref.data.text import fix_surrogates
from arenapref.models.base import ModelDirError, PreferenceModel, Reason
from arenapref.models.explanation import readable
from arenapref.serve.batcher import MicroBatcher
from arenapref.serve.schemas import BattleIn, Prediction, ReasonOut
from arenapref.serve.settings import ServeSettings

log = logging.getLogger("arenapref.serve")
TEXT_FIELDS = ("prompt", "response_a", "response_b")
SAMPLE = BattleIn(prompt=["Say hello."], response_a=["Hello!"], response_b=["Hi there, how can I help you today?"])


class InputLimitError(ValueError):
    """Input that is malformed or over a configured limit; `errors` holds (field, message) pairs; `status` is 422,
    or 413 for a body whose content is too large once unpacked."""

    def __init__(self, errors: list[tuple[str, str]], status: int = 422) -> None:
        self.errors, self.status = errors, status
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))


class ModelFailure(RuntimeError):
    """The model raised or returned unusable probabilities; the client gets a plain 500."""


def battle_table(battles: Sequence[BattleIn]) -> pd.DataFrame:
    """The battle table for API input: source "api", ids given or else numbered in order."""
    ids = [fix_surrogates(b.id)[0] if b.id is not None else f"battle-{i}" for i, b in enumerate(battles)]
    turns = {field: [[_clean(t) for t in getattr(b, field)] for b in battles] for field in TEXT_FIELDS}
    return unlabelled_table(ids, "api", turns)


def verdicts(proba: np.ndarray) -> np.ndarray:
    """The most probable outcome per row; A and B exactly equally likely counts as tie (swap-consistent)."""
    a, b, tie = proba[:, 0], proba[:, 1], proba[:, 2]
    return np.where((a > b) & (a >= tie), "A", np.where((b > a) & (b >= tie), "B", "tie"))


class PredictionService:
    """Holds the model (loaded once) and scores battles under the settings' limits. One thread at a time calls the
    model: the micro-batcher, which merges the requests waiting for it into one vectorised call, holding
    `model_lock` (which the reward endpoints' batcher holds too)."""

    def __init__(self, model: PreferenceModel, settings: ServeSettings) -> None:
        self.model = model
        self.settings = settings
        self.model_lock = threading.Lock()
        self.explains = self._self_check()
        self._batcher: MicroBatcher[BattleIn, Prediction] = MicroBatcher(self._score, settings.max_batch)

    def _self_check(self) -> bool:
        """Score one sample battle; a model that cannot fails start-up. Returns whether the model explains."""
        try:
            table = battle_table([SAMPLE])
            _check_proba(self.model.predict_proba(table), 1)
            return self.model.explain(table, 1) is not None
        except Exception as exc:
            raise ModelDirError(f"model {self.model.name!r} failed its start-up prediction: {exc}") from exc

    def check_limits(self, battles: Sequence[BattleIn], prefix: str) -> None:
        """Raise InputLimitError naming every text over max_chars (field paths start with `prefix`)."""
        limit = self.settings.max_chars
        errors = []
        for i, battle in enumerate(battles):
            where = prefix.format(i=i)
            for field in TEXT_FIELDS:
                n = sum(len(t) for t in getattr(battle, field) if t)
                if n > limit:
                    errors.append((f"{where}{field}", f"text has {n} characters; the limit is {limit}"))
        if errors:
            raise InputLimitError(errors)

    def check_batch(self, battles: Sequence[BattleIn]) -> None:
        if len(battles) > self.settings.max_batch:
            limit = self.settings.max_batch
            raise InputLimitError([("body.battles", f"{len(battles)} battles; the limit is {limit} per call")])

    def predict(self, battles: Sequence[BattleIn], with_reasons: bool = True) -> list[Prediction]:
        """Predictions for `battles`, scored with whatever other requests are waiting (same numbers as alone)."""
        named = [b if b.id is not None else b.model_copy(update={"id": f"battle-{i}"}) for i, b in enumerate(battles)]
        predictions = self._batcher.submit(named, with_reasons)
        if with_reasons:
            return predictions
        return [p if p.reasons is None else p.model_copy(update={"reasons": None}) for p in predictions]

    def close(self) -> None:
        self._batcher.close()

    def _score(self, battles: list[BattleIn], with_reasons: bool) -> list[Prediction]:
        """One vectorised predict (and explain) over all battles; runs on the batcher's thread."""
        table = battle_table(battles)
        top = self.settings.reasons_top if with_reasons and self.explains else 0
        try:
            with self.model_lock:
                if top:
                    proba, reasons = self.model.predict_explained(table, top)
                else:
                    proba, reasons = self.model.predict_proba(table), None
            proba = _check_proba(proba, len(table))
        except Exception as exc:
            log.exception("model %s failed on %d battles", self.model.name, len(table))
            raise ModelFailure("the model could not score this request") from exc
        winners = verdicts(proba)
        return [
            Prediction(
                id=table["id"].iat[i],
                p_a=float(proba[i, 0]),
                p_b=float(proba[i, 1]),
                p_tie=float(proba[i, 2]),
                winner=winners[i],
                reasons=[_reason(r) for r in reasons[i]] if reasons is not None else None,
            )
            for i in range(len(table))
        ]


def _check_proba(proba: np.ndarray, n: int) -> np.ndarray:
    proba = np.asarray(proba, dtype=float)
    if proba.shape != (n, 3) or not np.isfinite(proba).all() or (proba < 0).any():
        raise ModelFailure(f"model returned unusable probabilities of shape {proba.shape}")
    if not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6):
        raise ModelFailure("model probabilities do not sum to 1")
    return proba


def _reason(r: Reason) -> ReasonOut:
    said = readable(r)
    return ReasonOut(
        feature=r.feature,
        label=said.label,
        sentence=said.sentence,
        value=said.value if math.isfinite(said.value) else None,
        contribution=said.contribution,
        toward=r.toward,  # type: ignore[arg-type]
    )


def _clean(text: str | None) -> str | None:
    return None if text is None else fix_surrogates(text)[0]
