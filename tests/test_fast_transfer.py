"""The fast model trained on several datasets: inner folds that hold out whole datasets, the length prior fit on
held-out margins (exact A/B symmetry, save/load, explanations that add up), and the calibration it rests on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from arenapref.data.io import read_battles
from arenapref.data.schema import conform
from arenapref.data.swap import swap, swap_proba
from arenapref.models.registry import load
from arenapref.models.temperature import fit_binary_calibration
from arenapref.models.trees.boosting import _folds
from arenapref.models.trees.fast import FastModel

TINY = {"n_estimators": 40, "early_stopping": 10, "fallback_rounds": 20}
FEATURES = {"word_vocab": 2000, "char_vocab": 2000, "svd_components": 4}


@pytest.fixture(scope="module")
def mixed(data_dir: Path) -> pd.DataFrame:
    """Three datasets: Auto-J (3-way), LLMEval2 (3-way) and hh-rlhf helpful-base (2-way)."""
    parts = [
        read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")[0].iloc[:250],
        read_battles(data_dir / "llmeval2" / "LLMEval2_benchmark.json.zip")[0].iloc[:250],
        read_battles(data_dir / "hh-rlhf" / "helpful-base-test.jsonl.gz")[0].iloc[:250],
    ]
    return conform(pd.concat(parts, ignore_index=True))


@pytest.fixture(scope="module")
def model(mixed: pd.DataFrame) -> FastModel:
    return FastModel(features=FEATURES, boost=TINY).fit(mixed)


@pytest.fixture(scope="module")
def unseen(data_dir: Path) -> pd.DataFrame:
    return read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")[0].iloc[1000:1040].reset_index(drop=True)


def test_several_datasets_are_held_out_whole_and_one_dataset_by_prompt(model: FastModel, mixed: pd.DataFrame) -> None:
    assert model.training["inner_split"] == "dataset" and model.training["inner_folds"] == 3
    fold_of, split = model._inner_folds(mixed)
    assert split == "dataset" and fold_of is not None
    dataset = mixed["source"].str.split("/").str[0].to_numpy()
    for fold in range(3):  # each fold is exactly one dataset
        assert len(set(dataset[fold_of == fold])) == 1
    one_set = mixed[mixed["source"] == "autoj"].reset_index(drop=True)
    assert FastModel(features=FEATURES, boost=TINY)._inner_folds(one_set)[1] == "prompt"
    assert FastModel(inner_split="prompt")._inner_folds(mixed)[1] == "prompt"
    assert FastModel(inner_folds=0)._inner_folds(mixed) == (None, "none")
    with pytest.raises(ValueError, match="inner_split"):
        FastModel(inner_split="by-topic")


def test_folds_without_rows_of_a_head_are_skipped() -> None:
    """The tie head trains on 3-way datasets only: a fold holding out a 2-way dataset has none of its rows."""
    fold_of = np.array([0, 0, 1, 1, 2, 2])
    tie_rows = np.array([0, 1, 4, 5])  # battles of datasets 0 and 2
    folds = _folds(tie_rows, fold_of)
    assert folds is not None and [sorted(battles) for _, _, battles in folds] == [[0, 1], [4, 5]]
    assert _folds(np.array([0, 1]), fold_of) is None  # one fold left: nothing to validate on


def test_length_prior_is_fit_and_keeps_exact_symmetry(model: FastModel, unseen: pd.DataFrame) -> None:
    assert model.length_weight != 0.0 and model.temperatures["direction"] > 0
    p = model.predict_proba(unseen)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(swap_proba(model.predict_proba(swap(unseen))), p)


def test_save_load_keeps_the_length_prior(model: FastModel, unseen: pd.DataFrame, tmp_path: Path) -> None:
    model.save(tmp_path / "m")
    loaded = load(tmp_path / "m")
    assert isinstance(loaded, FastModel) and loaded.length_weight == model.length_weight
    assert loaded.inner_split == "auto"
    np.testing.assert_array_equal(loaded.predict_proba(unseen), model.predict_proba(unseen))


def test_explanations_include_the_length_prior(model: FastModel, unseen: pd.DataFrame) -> None:
    proba, reasons = model.predict_explained(unseen, top=10_000)
    verdict = proba.argmax(axis=1)
    for i, row in enumerate(reasons):
        if verdict[i] < 2:
            winner, loser = proba[i, verdict[i]], proba[i, 1 - verdict[i]]
            assert sum(r.contribution for r in row) == pytest.approx(np.log(winner / loser), abs=1e-9)


def test_calibration_recovers_a_known_temperature_and_prior_weight() -> None:
    rng = np.random.default_rng(0)
    margin, prior = rng.normal(0, 2, 40_000), rng.uniform(-1, 1, 40_000)
    target = (rng.random(40_000) < expit(margin / 2.0 + 0.8 * prior)).astype(float)
    t, b = fit_binary_calibration(margin, prior, target)
    assert t == pytest.approx(2.0, rel=0.05) and b == pytest.approx(0.8, abs=0.08)
    t0, b0 = fit_binary_calibration(margin, np.zeros_like(margin), target, np.ones_like(margin))
    assert b0 == 0.0 and t0 > 1.5
