"""`arenapref train` driving the pipeline: --folds K (fold models, out-of-fold predictions and score), --teacher
(soft targets for the fast model, FineTunedModel.fit(teacher=...) for the fine-tuned ones; rows with no label
train on the teacher alone), pseudo-labelled files as training input, --config with command-line overrides, and
fold-averaged `llm` (LoRA) and `cross-encoder` (full fine-tune) directories loading through the registry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from arenapref.data.folds import grouped_folds
from arenapref.data.io import read_battles
from arenapref.data.schema import LABEL_NAMES
from arenapref.data.submission import write_submission
from arenapref.data.swap import swap
from arenapref.evaluation.metrics import accuracy, kaggle_log_loss
from arenapref.models.base import mirror_average
from arenapref.models.registry import create, load
from arenapref.pipeline.soft_targets import with_teacher
from cli_support import run_cli as run


@pytest.fixture(scope="module")
def sample(data_dir: Path) -> Path:
    return data_dir / "kaggle-sample" / "train.csv"


def test_folds_write_fold_models_oof_predictions_and_the_oof_score(sample: Path, tmp_path: Path) -> None:
    code, text = run("train", sample, "--folds", "2", "-o", tmp_path / "run")
    assert code == 0, text
    battles, _ = read_battles(sample)
    oof = pd.read_csv(tmp_path / "run" / "oof.csv", dtype={"id": str})
    assert list(oof["id"]) == list(battles["id"])
    proba = oof[list(LABEL_NAMES)].to_numpy()
    y = battles["label"].to_numpy(dtype=int)
    printed = re.search(r"out-of-fold: log loss ([\d.]+) · accuracy ([\d.]+)%", text)
    assert printed, text
    assert float(printed.group(1)) == pytest.approx(kaggle_log_loss(y, proba), abs=1e-4)
    assert float(printed.group(2)) == pytest.approx(100 * accuracy(y, proba), abs=0.01)
    for i, (_, held) in enumerate(grouped_folds(battles, 2, 0)):  # fold i's model made the oof rows it held out
        fold = tmp_path / "run" / f"fold-{i}"
        meta = json.loads((fold / "model.json").read_text())
        assert meta["fold"] == i and meta["folds"] == 2
        np.testing.assert_allclose(proba[held], mirror_average(load(fold), battles.iloc[held]), atol=1e-9)
    assert "model to predict with" in text


def test_teacher_file_becomes_soft_targets_and_teaches_unlabelled_rows(sample: Path, tmp_path: Path) -> None:
    battles, _ = read_battles(sample)
    battles.loc[:19, "label"] = pd.NA  # 20 rows with no label: they train on the teacher alone
    battles.to_parquet(tmp_path / "partly.parquet")
    teacher = np.random.default_rng(0).dirichlet([2, 2, 1], size=len(battles))
    write_submission(battles["id"], teacher, tmp_path / "teacher.csv")

    code, text = run("train", tmp_path / "partly.parquet", "-o", tmp_path / "plain")
    assert code == 0 and "20 unlabelled battles not used" in text and "on 80 battles" in text, text
    code, text = run(
        "train", tmp_path / "partly.parquet", "--teacher", tmp_path / "teacher.csv", "--set", "alpha=0.3",
        "-o", tmp_path / "taught",
    )  # fmt: skip
    assert code == 0, text
    assert "20 battles with no label train on the teacher alone" in text and "on 100 battles, distilled" in text
    taught = load(tmp_path / "taught").predict_proba(battles)
    reread, _ = read_battles(tmp_path / "partly.parquet")
    expected = create("fast").fit(with_teacher(reread, teacher, 0.3)).predict_proba(battles)
    np.testing.assert_allclose(taught, expected, atol=1e-12)
    assert not np.allclose(taught, load(tmp_path / "plain").predict_proba(battles), atol=1e-3)

    code, text = run(
        "train", sample, "--teacher", tmp_path / "teacher.csv", "--set", "temperature=2", "-o", tmp_path / "x"
    )
    assert code == 2 and "temperature 1 only" in text and "Traceback" not in text


def test_pseudo_labelled_file_trains_as_soft_labels(sample: Path, tmp_path: Path) -> None:
    code, text = run("train", sample, "-o", tmp_path / "teacher")
    assert code == 0, text
    pool, _ = read_battles(sample)
    pool.assign(label=pd.NA).to_parquet(tmp_path / "pool.parquet")
    code, text = run("pseudo-label", tmp_path / "teacher", tmp_path / "pool.parquet", "-o", tmp_path / "soft.parquet")
    assert code == 0, text
    code, text = run("train", tmp_path / "soft.parquet", "-o", tmp_path / "student")
    assert code == 0 and "trained fast on 100 battles" in text, text


def test_config_with_command_line_overrides_and_bad_input(sample: Path, tmp_path: Path) -> None:
    recipe = {"name": "small", "model": "fast", "data": [str(sample)], "folds": 2}
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(recipe))
    code, text = run("train", "--config", tmp_path / "small.yaml", "--folds", "3", "-o", tmp_path / "run")
    assert code == 0 and "recipe small done" in text, text
    assert len(json.loads((tmp_path / "run" / "folds.json").read_text())["folds"]) == 3
    assert json.loads((tmp_path / "run" / "recipe.json").read_text())["folds"] == 3

    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({**recipe, "folds": "many"}))
    code, text = run("train", "--config", tmp_path / "bad.yaml", "-o", tmp_path / "bad")
    assert code == 2 and "bad.yaml, field 'folds'" in text and "Traceback" not in text
    assert len(text.strip().splitlines()) == 1
    code, text = run("train", "-o", tmp_path / "nothing")
    assert code == 2 and "command line, field 'data': no training data" in text
    code, text = run("train", sample, "--model", "fast", "--set", "lr=1", "-o", tmp_path / "m")
    assert code == 2 and "command line, field 'options'" in text and "takes no options" in text


@pytest.mark.slow
@pytest.mark.parametrize(("model", "lora_r"), [("llm", "2"), ("cross-encoder", "0")])
def test_fold_averaged_fine_tuned_directories_load_and_predict(model: str, lora_r: str, tmp_path: Path) -> None:
    pytest.importorskip("peft")
    from neural_support import random_battles, tiny_checkpoint

    tiny = tiny_checkpoint(tmp_path / "tiny")
    battles = random_battles(16)
    battles.to_parquet(tmp_path / "b.parquet")
    options = {"backbone": str(tiny), "max_length": "32", "eval_fraction": "0", "progress_bar": "false"}
    sets = [a for k, v in {**options, "lora_r": lora_r, "lr": "0.01"}.items() for a in ("--set", f"{k}={v}")]
    code, text = run("train", tmp_path / "b.parquet", "--model", model, *sets, "--folds", "2", "-o", tmp_path / "run")
    assert code == 0, text
    folds = [tmp_path / "run" / f"fold-{i}" for i in range(2)]
    methods = ["adapters", "deltas"] if model == "llm" else ["adapters"]  # full weights: one element-wise mean
    for method in methods:
        code, text = run("average-folds", *folds, "-o", tmp_path / method, "--method", method)
        assert code == 0, text
        averaged = load(tmp_path / method)
        assert type(averaged).name == model
        proba = averaged.predict_proba(battles)
        assert proba.shape == (16, 3) and np.allclose(proba.sum(axis=1), 1)
        np.testing.assert_allclose(averaged.predict_proba(swap(battles)), proba[:, [1, 0, 2]], atol=1e-6)
        per_fold = [load(f).predict_proba(battles) for f in folds]
        assert all(not np.allclose(proba, p, atol=1e-6) for p in per_fold)  # a new model, not a copy of a fold
        code, text = run("predict", tmp_path / method, tmp_path / "b.parquet", "-o", tmp_path / f"{method}.csv")
        assert code == 0 and len(pd.read_csv(tmp_path / f"{method}.csv")) == 16, text


@pytest.mark.slow
def test_teacher_reaches_the_fine_tuned_loss(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("peft")
    from arenapref.models.finetuned.model import FineTunedModel
    from neural_support import random_battles, tiny_checkpoint

    tiny = tiny_checkpoint(tmp_path / "tiny")
    battles = random_battles(16)
    battles.loc[10:, "label"] = pd.NA  # 6 rows with no label
    battles.to_parquet(tmp_path / "b.parquet")
    teacher = np.random.default_rng(1).dirichlet([2, 2, 1], size=16)
    write_submission(battles["id"].iloc[::-1], teacher[::-1], tmp_path / "teacher.csv")  # ids out of order
    seen: list[np.ndarray] = []
    original = FineTunedModel.fit

    def spy(self: FineTunedModel, rows: pd.DataFrame, teacher: np.ndarray | None = None) -> FineTunedModel:
        assert teacher is not None and list(rows["id"]) == list(battles["id"])
        seen.append(teacher)
        return original(self, rows, teacher=teacher)

    monkeypatch.setattr(FineTunedModel, "fit", spy)
    options = {"backbone": str(tiny), "max_length": "32", "eval_fraction": "0", "progress_bar": "false"}
    sets = [a for k, v in {**options, "alpha": "0.3", "temperature": "2"}.items() for a in ("--set", f"{k}={v}")]
    args = ["train", tmp_path / "b.parquet", "--model", "llm", "--teacher", tmp_path / "teacher.csv", *sets]
    code, text = run(*args, "-o", tmp_path / "m")
    assert code == 0, text
    np.testing.assert_allclose(seen[0], teacher, atol=1e-12)  # aligned by id
    state = json.loads((tmp_path / "m" / "model.json").read_text())["state"]
    assert state["config"]["loss"] == {"alpha": 0.3, "temperature": 2.0}
    assert state["training"]["train_battles"] == 16  # unlabelled rows train on the teacher
