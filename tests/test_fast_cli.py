"""`arenapref train / predict / explain` with the fast model: Kaggle submission format, ids and order kept,
mixed input formats, explanations, and bad input -> one clear line, exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.features.labels import label_of
from cli_support import run_cli as run

SUBMISSION_COLUMNS = ["id", "winner_model_a", "winner_model_b", "winner_tie"]


@pytest.fixture(scope="module")
def model_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fast model trained through the CLI on two formats at once: Kaggle CSV (3-way) and HHH JSON (2-way)."""
    out = tmp_path_factory.mktemp("fast") / "model"
    code, text = run("train", data_dir / "kaggle-sample" / "train.csv", data_dir / "hhh", "--model", "fast", "-o", out)
    assert code == 0, text
    assert "trained fast on 321 battles" in text and "temperatures" in text
    return out


def test_submission_matches_kaggle_format_for_the_sample(model_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    sample = data_dir / "kaggle-sample" / "train.csv"
    code, text = run("predict", model_dir, sample, "-o", tmp_path / "submission.csv")
    assert code == 0, text
    submission = pd.read_csv(tmp_path / "submission.csv")
    assert list(submission.columns) == SUBMISSION_COLUMNS
    assert submission["id"].tolist() == pd.read_csv(sample)["id"].tolist()  # every id, in the file's order
    proba = submission[SUBMISSION_COLUMNS[1:]].to_numpy()
    assert proba.shape == (100, 3) and (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_predict_reads_kaggle_test_files_without_labels_or_model_names(
    model_dir: Path, data_dir: Path, tmp_path: Path
) -> None:
    raw = pd.read_csv(data_dir / "kaggle-sample" / "train.csv")
    test = raw[["id", "prompt", "response_a", "response_b"]].iloc[::-1].head(30)
    test.to_csv(tmp_path / "test.csv", index=False)
    code, text = run("predict", model_dir, tmp_path / "test.csv", "-o", tmp_path / "sub.csv")
    assert code == 0, text
    assert pd.read_csv(tmp_path / "sub.csv")["id"].tolist() == test["id"].tolist()


def test_explain_shows_the_verdict_and_its_features(model_dir: Path, data_dir: Path) -> None:
    sample = data_dir / "kaggle-sample" / "train.csv"
    battle_id = str(pd.read_csv(sample)["id"].iloc[3])
    code, text = run("explain", model_dir, sample, "--id", battle_id, "--top", "5")
    assert code == 0, text
    assert f"battle {battle_id}:" in text and "features that pushed the verdict" in text
    assert text.count("raised") + text.count("lowered") == 5
    raw_code, raw = run("explain", model_dir, sample, "--id", battle_id, "--top", "5", "--raw")
    assert raw_code == 0, raw
    rows = [line.split("│") for line in raw.splitlines() if line.count("│") == 5]
    features = [cells[1].strip() for cells in rows]  # --raw: the feature names, as the model gives them
    assert len(features) == 5 and all(" " not in f for f in features)
    for feature in features:  # the readable table says the same reasons by their labels
        assert label_of(feature).label in text and label_of(feature).explicit
        assert feature not in text.split("\n", 1)[1]


def test_explain_unknown_id_is_one_clear_error(model_dir: Path, data_dir: Path) -> None:
    code, text = run("explain", model_dir, data_dir / "kaggle-sample" / "train.csv", "--id", "no-such-id")
    assert code == 2 and "no battle with id 'no-such-id'" in text and "Traceback" not in text


def test_predict_with_a_folder_that_is_no_model_fails_clearly(data_dir: Path, tmp_path: Path) -> None:
    code, text = run("predict", tmp_path, data_dir / "kaggle-sample" / "train.csv", "-o", tmp_path / "s.csv")
    assert code == 2 and "not a model directory" in text and "Traceback" not in text


def test_train_refuses_unknown_models_and_unlabelled_input(data_dir: Path, tmp_path: Path) -> None:
    code, text = run("train", data_dir / "kaggle-sample", "--model", "nope", "-o", tmp_path / "m")
    assert code == 2 and "unknown model 'nope'" in text
    raw = pd.read_csv(data_dir / "kaggle-sample" / "train.csv")
    raw[["id", "prompt", "response_a", "response_b"]].to_csv(tmp_path / "test.csv", index=False)
    code, text = run("train", tmp_path / "test.csv", "-o", tmp_path / "m")
    assert code == 2 and "no labelled battles to train on" in text and not (tmp_path / "m").exists()
