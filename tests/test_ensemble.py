"""The stacked ensemble: weights fit only on out-of-fold predictions inside the training data (a member that
memorises its training battles gets no weight; stacked on in-sample predictions it would get the most),
member fits never include the battles they predict for the stacker, one inner fold per dataset on mixed data,
two-way battles leave the tie offset alone, exact position consistency, round trip."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from arenapref.data.io import read_battles
from arenapref.data.schema import targets
from arenapref.data.swap import swap, swap_proba
from arenapref.models import registry
from arenapref.models.base import PreferenceModel
from arenapref.models.embedding.ensemble import EnsembleModel, fit_stacker


class Memoriser(PreferenceModel):
    """Perfect on the battles it was fit on, a confident guess from the id's hash elsewhere (noise); logs which
    ids each instance fit and predicted."""

    name = "test-memoriser"
    log: ClassVar[list[tuple[set[str], set[str]]]] = []

    def __init__(self) -> None:
        self.known: dict[str, int] = {}

    def fit(self, battles: pd.DataFrame) -> Memoriser:
        self.known = dict(zip(battles["id"].astype(str), targets(battles).argmax(axis=1).tolist(), strict=True))
        return self

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        Memoriser.log.append((set(self.known), set(battles["id"].astype(str))))
        out = np.full((len(battles), 3), 0.1)
        for i, battle_id in enumerate(battles["id"].astype(str)):
            guess = self.known.get(battle_id, zlib.crc32(battle_id.encode()) % 3)
            out[i, guess] = 0.8
        return out

    def get_state(self) -> dict[str, Any]:
        return {"known": self.known}

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> Memoriser:
        model = cls()
        model.known = dict(state["known"])
        return model


@pytest.fixture(autouse=True)
def memoriser(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(registry.MODELS, Memoriser.name, Memoriser)  # a test model, for this module only
    Memoriser.log.clear()
    yield


@pytest.fixture(scope="module")
def autoj(data_dir: Path) -> pd.DataFrame:
    return read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")[0]


def test_weights_come_only_from_out_of_fold_predictions(autoj: pd.DataFrame) -> None:
    train, test = autoj.iloc[:400].reset_index(drop=True), autoj.iloc[400:700].reset_index(drop=True)
    model = EnsembleModel(members=[Memoriser.name, "longer_wins"], inner_folds=3).fit(train)
    memo_weight, length_weight = model.weights
    assert memo_weight < 0.05 < length_weight  # out of fold the memoriser only misleads
    # the stacker's own predictions came from member fits that had not seen those battles
    stacking_calls = Memoriser.log[:3]
    assert all(not (fit_ids & predicted) for fit_ids, predicted in stacking_calls)
    assert set().union(*(predicted for _, predicted in stacking_calls)) == set(train["id"].astype(str))
    y = test["label"].to_numpy(dtype=int)
    longer = registry.create("longer_wins").fit(train).predict_proba(test)
    assert log_loss(y, model.predict_proba(test), labels=[0, 1, 2]) < log_loss(y, longer, labels=[0, 1, 2]) + 0.01


def test_in_sample_stacking_would_trust_the_memoriser(autoj: pd.DataFrame) -> None:
    """The leak the ensemble avoids: stacked on predictions of members fit on the same battles, the memoriser
    takes the weight (so the test above fails if the evaluated battles leak into the stacker's data)."""
    train = autoj.iloc[:400].reset_index(drop=True)
    members = [registry.create(n).fit(train) for n in (Memoriser.name, "longer_wins")]
    log_p = np.log(np.stack([m.predict_proba(train) for m in members]))
    y = targets(train)
    weights, _ = fit_stacker(log_p, y / y.sum(axis=1, keepdims=True))
    assert weights[0] > 0.5 > weights[1]


def test_ensemble_is_position_consistent_and_round_trips(autoj: pd.DataFrame, tmp_path: Path) -> None:
    train, test = autoj.iloc[:300].reset_index(drop=True), autoj.iloc[300:360].reset_index(drop=True)
    model = EnsembleModel(members=["prior", "longer_wins"], inner_folds=2).fit(train)
    p = model.predict_proba(test)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert np.array_equal(p, swap_proba(model.predict_proba(swap(test))))
    assert model.training["stacked_rows"] == 300 and model.weights.sum() > 0
    model.save(tmp_path / "e")
    assert sorted(p.name for p in (tmp_path / "e" / "members").iterdir()) == ["0-prior", "1-longer_wins"]
    loaded = registry.load(tmp_path / "e")
    assert isinstance(loaded, EnsembleModel)
    assert np.array_equal(loaded.predict_proba(test), p)


def test_mixed_data_holds_out_one_dataset_per_inner_fold(autoj: pd.DataFrame, data_dir: Path) -> None:
    hhh = read_battles(data_dir / "hhh" / "hhh_alignment_eval.json")[0]
    lfqa = read_battles(data_dir / "lfqa" / "experts_pairwise_human_preferences.jsonl")[0]
    train = pd.concat([autoj.iloc[:300], hhh, lfqa], ignore_index=True)
    model = EnsembleModel(members=[Memoriser.name, "longer_wins"]).fit(train)
    assert model.training["inner_split"] == "dataset"
    dataset_ids = {name: set(part["id"].astype(str)) for name, part in train.groupby("source")}
    stacking_calls = Memoriser.log[:3]
    held_out = sorted(next(k for k, ids in dataset_ids.items() if predicted == ids) for _, predicted in stacking_calls)
    assert held_out == ["autoj", "hhh", "lfqa"]  # each inner fold predicts exactly one whole dataset ...
    for fit_ids, predicted in stacking_calls:
        assert not fit_ids & predicted and fit_ids | predicted == set(train["id"].astype(str))  # ... fit on the rest
    assert model.weights[0] < 0.05  # out of its datasets the memoriser only misleads
    prompt_split = EnsembleModel(members=["prior", "longer_wins"], inner_split="prompt").fit(train)
    assert prompt_split.training["inner_split"] == "prompt"


def test_two_way_battles_leave_the_tie_offset_alone() -> None:
    """One uniform member: the tie offset is the log-odds of a tie among the battles that could be ties (30 % here,
    A and B 35 % each), whatever the two-way battles say; read as three-way, their missing ties pull it down."""
    three_way = np.repeat([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]], [35, 35, 30], axis=0)
    two_way = np.repeat([[1.0, 0, 0], [0, 1, 0]], [300, 300], axis=0)
    target = np.vstack([three_way, two_way])
    log_p = np.log(np.full((1, len(target), 3), 1 / 3))
    tie_allowed = np.arange(len(target)) < len(three_way)
    _, offset = fit_stacker(log_p, target, tie_allowed=tie_allowed)
    assert offset == pytest.approx(np.log(0.30 / 0.35), abs=1e-3)
    _, offset_as_three_way = fit_stacker(log_p, target)
    assert offset_as_three_way < np.log(0.30 / 0.35) - 1.0
