"""The fast LightGBM model: exact position consistency, save/load round trip and directory checks, explanations
that add up, no label leakage (shuffled labels), tie handling on mixed 2-way / 3-way data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from arenapref.data.folds import grouped_folds
from arenapref.data.io import read_battles
from arenapref.data.schema import conform, labels
from arenapref.data.swap import swap, swap_proba
from arenapref.features.labels import TFIDF_GROUP
from arenapref.models import registry
from arenapref.models.base import ModelDirError
from arenapref.models.baselines import PriorModel
from arenapref.models.temperature import fit_binary_temperature
from arenapref.models.trees.fast import FastModel

TINY = {"n_estimators": 40, "early_stopping": 10, "fallback_rounds": 20}
FEATURES = {"word_vocab": 2000, "char_vocab": 2000, "svd_components": 4}


@pytest.fixture(scope="module")
def autoj(data_dir: Path) -> pd.DataFrame:
    return read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")[0]


@pytest.fixture(scope="module")
def helpful(data_dir: Path) -> pd.DataFrame:
    return read_battles(data_dir / "hh-rlhf" / "helpful-base-test.jsonl.gz")[0]


@pytest.fixture(scope="module")
def model(autoj: pd.DataFrame) -> FastModel:
    """Trained on 300 Auto-J battles, 40 of them with soft labels only (no hard label)."""
    train = autoj.iloc[:300].copy()
    train.loc[:39, "label"] = pd.NA
    train.loc[:39, ["soft_a", "soft_b", "soft_tie"]] = [0.5, 0.3, 0.2]
    return FastModel(inner_folds=2, features=FEATURES, boost=TINY).fit(conform(train))


@pytest.fixture(scope="module")
def unseen(autoj: pd.DataFrame) -> pd.DataFrame:
    return autoj.iloc[1000:1060].reset_index(drop=True)


def test_probabilities_are_valid_and_soft_rows_are_used(model: FastModel, unseen: pd.DataFrame) -> None:
    p = model.predict_proba(unseen)
    assert p.shape == (60, 3) and np.isfinite(p).all() and (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert model.training["rows"] == 300 and set(model.boosters) == {"direction", "tie"}
    assert p[:, 2].std() > 0  # the tie head says something per battle


def test_swapping_a_and_b_mirrors_the_prediction_exactly(model: FastModel, unseen: pd.DataFrame) -> None:
    p, p_swapped = model.predict_proba(unseen), model.predict_proba(swap(unseen))
    assert np.array_equal(p, swap_proba(p_swapped))  # P_A(x) == P_B(swap x) to the last bit


def test_save_load_predict_gives_identical_probabilities(model: FastModel, unseen: pd.DataFrame, tmp_path) -> None:
    model.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["direction.lgb.txt", "features.json", "model.json", "tie.lgb.txt"]  # text and JSON, no pickle
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["model"] == "fast" and len(meta["state"]["training"]["sha256"]) == 64
    loaded = registry.load(tmp_path / "m")
    assert np.array_equal(loaded.predict_proba(unseen), model.predict_proba(unseen))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "tie.lgb.txt").write_text((d / "tie.lgb.txt").read_text() + "\n"), "SHA-256 mismatch"),
        (lambda d: (d / "features.json").unlink(), "missing file features.json"),
        (lambda d: _edit_state(d, arenapref_version="0.9.0"), "saved with arenapref 0.9.0"),
        (lambda d: _edit_state(d, lightgbm_version="3.3.5"), "saved with LightGBM 3.3.5"),
        (lambda d: _edit_state(d, feature_names=["x"]), "does not build the features"),
    ],
)
def test_a_damaged_model_directory_is_refused(model: FastModel, tmp_path, damage, message: str) -> None:
    directory = model.save(tmp_path / "m")
    damage(directory)
    with pytest.raises(ModelDirError, match=message):
        registry.load(directory)


def _edit_state(directory: Path, **changes: object) -> None:
    meta = json.loads((directory / "model.json").read_text())
    meta["state"].update(changes)
    (directory / "model.json").write_text(json.dumps(meta))


def test_explanations_add_up_to_the_verdicts_log_odds(model: FastModel, unseen: pd.DataFrame) -> None:
    p = model.predict_proba(unseen)
    reasons = model.explain(unseen, top=10_000)
    verdict = p.argmax(axis=1)
    assert len(reasons) == len(unseen)
    for i, row in enumerate(reasons):
        assert {r.toward for r in row} == {"ABT"[verdict[i]].replace("T", "tie")}
        assert [abs(r.contribution) for r in row] == sorted((abs(r.contribution) for r in row), reverse=True)
        if verdict[i] < 2:  # the direction head's log-odds of the winner over the loser
            winner, loser = p[i, verdict[i]], p[i, 1 - verdict[i]]
            assert sum(r.contribution for r in row) == pytest.approx(np.log(winner / loser), abs=1e-9)
    units = [r.feature for r in reasons[0]]  # every feature once, the TF-IDF components as one summed reason
    assert TFIDF_GROUP in units and len(units) == len(set(units))
    assert set(units) == {n for n in model.builder.names if "_tfidf_diff_" not in n} | {TFIDF_GROUP}
    assert model.explain(unseen.iloc[:1], top=3)[0][0].feature in [*model.builder.names, TFIDF_GROUP]


def test_one_pass_prediction_with_reasons_equals_the_separate_calls(model: FastModel, unseen: pd.DataFrame) -> None:
    proba, reasons = model.predict_explained(unseen, top=4)
    np.testing.assert_array_equal(proba, model.predict_proba(unseen))
    assert reasons == model.explain(unseen, top=4)
    one_by_one = np.vstack([model.predict_proba(unseen.iloc[[i]]) for i in range(len(unseen))])
    np.testing.assert_array_equal(one_by_one, proba)  # small inputs run single-threaded: same numbers


def test_shuffled_labels_score_no_better_than_the_prior(autoj: pd.DataFrame) -> None:
    """The pipeline cannot learn from labels it should not see: with labels shuffled among training rows its
    held-out log loss is no better than the prior's; with the true labels (same settings) it is clearly better."""
    train_idx, test_idx = next(grouped_folds(autoj, n_splits=3, seed=0))
    train, test = autoj.iloc[train_idx].reset_index(drop=True), autoj.iloc[test_idx].reset_index(drop=True)
    shuffled = train.copy()
    shuffled["label"] = np.random.default_rng(0).permutation(train["label"].to_numpy())
    y = labels(test)
    prior = log_loss(y, PriorModel().fit(train).predict_proba(test), labels=[0, 1, 2])
    settings = {"inner_folds": 3, "features": FEATURES, "boost": {"n_estimators": 300, "early_stopping": 20}}
    noise = log_loss(y, FastModel(**settings).fit(shuffled).predict_proba(test), labels=[0, 1, 2])
    real = log_loss(y, FastModel(**settings).fit(train).predict_proba(test), labels=[0, 1, 2])
    assert noise >= prior - 0.005
    assert real < prior - 0.05


def test_tie_head_keeps_three_way_tie_rate_on_mixed_data(autoj: pd.DataFrame, helpful: pd.DataFrame) -> None:
    """2-way rows (no tie class) train only the direction head: the predicted tie share on held-out Auto-J stays
    near Auto-J's tie rate, while one multiclass booster over all rows pulls it towards zero."""
    train = conform(pd.concat([autoj.iloc[:400], helpful.iloc[:800]], ignore_index=True))
    test = autoj.iloc[1000:1200]
    settings = {"inner_folds": 2, "features": FEATURES, "boost": TINY}
    heads = FastModel(**settings).fit(train)
    multiclass = registry.create("fast-multiclass")
    assert isinstance(multiclass, FastModel) and multiclass.tie_mode == "multiclass"
    multiclass = FastModel(tie_mode="multiclass", **settings).fit(train)
    tie_rate = float((autoj.iloc[:400]["label"] == 2).mean())
    assert heads.training["tie_allowed_rows"] == 400
    heads_tie, multiclass_tie = heads.predict_proba(test)[:, 2].mean(), multiclass.predict_proba(test)[:, 2].mean()
    assert abs(heads_tie - tie_rate) < 0.06
    assert multiclass_tie < tie_rate - 0.07 and multiclass_tie < heads_tie - 0.06


def test_two_way_training_data_predicts_no_ties(helpful: pd.DataFrame) -> None:
    model = FastModel(inner_folds=0, features=FEATURES, boost=TINY).fit(helpful.iloc[:120])
    p = model.predict_proba(helpful.iloc[200:230])
    assert set(model.boosters) == {"direction"} and (p[:, 2] == 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def test_temperature_recovers_a_known_scale() -> None:
    rng = np.random.default_rng(0)
    margin = rng.normal(scale=3.0, size=20_000)
    target = (rng.random(20_000) < 1 / (1 + np.exp(-margin / 2.0))).astype(float)
    assert fit_binary_temperature(margin, target) == pytest.approx(2.0, rel=0.1)


def test_unfitted_state_reports_the_settings() -> None:
    state = FastModel(boost={"num_leaves": 7}).get_state()
    assert state == {"params": state["params"]} and state["params"]["boost"]["num_leaves"] == 7
    with pytest.raises(RuntimeError, match="not fitted"):
        FastModel().predict_proba(pd.DataFrame())


def test_empty_input_gives_empty_output(model: FastModel, unseen: pd.DataFrame) -> None:
    assert model.predict_proba(unseen.iloc[:0]).shape == (0, 3)
    assert model.explain(unseen.iloc[:0]) == []
