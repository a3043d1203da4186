"""Micro-batching: requests that wait while the model is busy are scored together, each gets its own answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from arenapref.serve.schemas import BattleIn, Prediction
from arenapref.serve.service import ModelFailure, PredictionService
from arenapref.serve.settings import ServeSettings
from serve_support import LengthModel


class GatedModel(LengthModel):
    """Once armed, the first predict call waits for `release`, so that the test can queue requests behind it."""

    def __init__(self) -> None:
        super().__init__(fail_on="boom")
        self.armed = False
        self.entered, self.release = threading.Event(), threading.Event()
        self.sizes: list[int] = []

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        if self.armed:
            self.sizes.append(len(battles))
            self.entered.set()
            self.release.wait(timeout=20)
        return super().predict_proba(battles)


def battle(i: int, prompt: str = "Say something.") -> BattleIn:
    return BattleIn(id=f"q{i}", prompt=prompt, response_a="a" * (5 + 3 * i), response_b="b" * 20)


def queue_behind_a_busy_model(
    service: PredictionService, model: GatedModel, requests: list[tuple[list[BattleIn], bool]]
) -> list[Future[list[Prediction]]]:
    """Block the model on a first request, queue `requests`, then let it go; futures of the queued requests."""
    model.armed = True
    pool = ThreadPoolExecutor(len(requests) + 1)
    pool.submit(service.predict, [battle(99)])
    assert model.entered.wait(timeout=20)
    futures = [pool.submit(service.predict, battles, reasons) for battles, reasons in requests]
    deadline = time.monotonic() + 20
    while service._batcher._queue.qsize() < len(requests) and time.monotonic() < deadline:
        time.sleep(0.01)
    model.release.set()
    pool.shutdown(wait=True)
    return futures


def test_waiting_requests_are_scored_in_one_call_with_their_own_answers() -> None:
    model = GatedModel()
    service = PredictionService(model, ServeSettings())
    alone = [service.predict([battle(i)])[0] for i in range(5)]
    futures = queue_behind_a_busy_model(service, model, [([battle(i)], True) for i in range(5)])
    assert model.sizes == [1, 5]
    got = [f.result()[0] for f in futures]
    assert got == alone  # same ids, probabilities and reasons as when each was scored alone


def test_a_failing_request_fails_alone() -> None:
    model = GatedModel()
    service = PredictionService(model, ServeSettings())
    requests = [([battle(0)], True), ([battle(1, prompt="boom")], True), ([battle(2), battle(3)], True)]
    futures = queue_behind_a_busy_model(service, model, requests)
    assert futures[0].result()[0].id == "q0"
    with pytest.raises(ModelFailure):
        futures[1].result()
    assert [p.id for p in futures[2].result()] == ["q2", "q3"]


def test_calls_respect_max_batch_and_each_request_its_reasons_option() -> None:
    model = GatedModel()
    service = PredictionService(model, ServeSettings(max_batch=4))
    requests = [([battle(0), battle(1), battle(2)], False), ([battle(3)], True), ([battle(4), battle(5)], True)]
    futures = queue_behind_a_busy_model(service, model, requests)
    assert model.sizes == [1, 4, 2]
    first, second, third = (f.result() for f in futures)
    assert all(p.reasons is None for p in first)
    assert second[0].reasons and third[0].reasons
    assert [p.id for p in first + second + third] == [f"q{i}" for i in range(6)]


def test_default_ids_are_numbered_per_request() -> None:
    model = GatedModel()
    service = PredictionService(model, ServeSettings())
    unnamed = [BattleIn(prompt="p", response_a="a", response_b="bb")]
    futures = queue_behind_a_busy_model(service, model, [(unnamed, True), (unnamed * 2, True)])
    assert [p.id for p in futures[0].result()] == ["battle-0"]
    assert [p.id for p in futures[1].result()] == ["battle-0", "battle-1"]
