"""`kaggle pack --base-at PATH`: a LoRA model's kit leaves the base checkpoint out (a 9B base is attached to the
notebook as a Kaggle model instead), points the model at PATH with the base's SHA-256, and runs offline in
`kaggle check` with the base attached there. A tiny random Llama stands in for the 9B base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from arenapref.data.io import read_battles
from arenapref.data.schema import LABEL_NAMES
from arenapref.kaggle.check import download_image_wheels
from arenapref.kaggle.modelcopy import copy_model
from arenapref.models import registry
from arenapref.models.errors import ModelDirError
from arenapref.models.portable import BASE_AT_FILE, PACKED_BASE_DIR
from cli_support import run_cli as run
from neural_support import lora_model_dir, one_thread, random_battles, tiny_checkpoint  # noqa: F401


@pytest.fixture(scope="module")
def lora_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(model directory of a LoRA `llm`, its base checkpoint), both in a module folder of their own."""
    return lora_model_dir(tmp_path_factory.mktemp("base-at"))


def test_the_copy_points_at_the_attached_base_and_checks_it(lora_model: tuple[Path, Path], tmp_path: Path) -> None:
    model_dir, base = lora_model
    attached = tmp_path / "input" / "gemma-2-9b"
    _, _, pointed = copy_model(model_dir, tmp_path / "copy", str(attached))
    assert not (tmp_path / "copy" / PACKED_BASE_DIR).exists()  # nothing carried
    pointer = json.loads((tmp_path / "copy" / BASE_AT_FILE).read_text())
    assert pointer["path"] == str(attached) and pointed[0]["sha256"] == pointer["sha256"]
    with pytest.raises(ModelDirError, match=r"not found .*attach it at that path"):
        registry.load(tmp_path / "copy")  # the recorded base exists, but the pointer wins
    tiny_checkpoint(attached, seed=1)  # another checkpoint attached there
    with pytest.raises(ModelDirError, match=r"changed since training \(SHA-256"):
        registry.load(tmp_path / "copy")
    shutil.rmtree(attached)
    shutil.copytree(base, attached)
    battles = random_battles(6, seed=2)
    np.testing.assert_allclose(
        registry.load(tmp_path / "copy").predict_proba(battles), registry.load(model_dir).predict_proba(battles)
    )


def test_base_at_needs_an_adapter(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "model_dirs" / "fast"
    with pytest.raises(ModelDirError, match="no LoRA adapter"):
        copy_model(fixture, tmp_path / "copy", "/kaggle/input/base")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_kit_without_its_base_checks_offline_with_the_base_attached(
    lora_model: tuple[Path, Path], data_dir: Path, tmp_path: Path
) -> None:
    model_dir, base = lora_model
    attached = tmp_path / "kaggle-input" / "base-model"
    options = ["--set", "predict_max_tokens=256", "--set", "predict_batch_size=4"]
    code, text = run(
        "kaggle", "pack", model_dir, "-o", tmp_path / "kit", "--from-image", "--base-at", attached, *options
    )
    assert code == 0, text
    assert f"attach it at {attached}" in text
    manifest = json.loads((tmp_path / "kit" / "MANIFEST.json").read_text())
    assert manifest["model"]["carried"] == [] and manifest["model"]["base_at"][0]["at"] == str(attached)
    assert not any(r["path"].startswith(f"model/{PACKED_BASE_DIR}/") for r in manifest["files"])
    assert manifest["time_limit_hours"] == 9.0
    assert manifest["predict_options"] == {"predict_max_tokens": "256", "predict_batch_size": "4"}
    raw = pd.read_csv(data_dir / "kaggle-sample" / "train.csv").head(20)
    test_csv = tmp_path / "test.csv"
    raw.drop(columns=["model_a", "model_b", *LABEL_NAMES]).to_csv(test_csv, index=False)
    image = download_image_wheels(manifest, tmp_path / "image")
    shutil.copytree(base, attached)  # the base "attached" where the kit points
    code, text = run(
        "kaggle", "check", tmp_path / "kit", "--test", test_csv, "--work", tmp_path / "check", "--image-wheels", image
    )
    assert code == 0, text
    assert "submission valid: 20 rows, all 20 test ids" in text
    submission = pd.read_csv(tmp_path / "check" / "result" / "submission.csv", dtype={"id": str})
    battles, _ = read_battles(test_csv)
    expected = registry.load(model_dir).predict_proba(battles)
    np.testing.assert_allclose(submission[list(LABEL_NAMES)].to_numpy(), expected, rtol=1e-5, atol=1e-6)


def test_prediction_options_are_checked_when_packing(lora_model: tuple[Path, Path], tmp_path: Path) -> None:
    fast = Path(__file__).parent / "fixtures" / "model_dirs" / "fast"
    code, text = run("kaggle", "pack", fast, "-o", tmp_path / "kit1", "--set", "quantization=8bit")
    assert code == 2 and "a fast model takes no prediction options" in text and not (tmp_path / "kit1").exists()
    code, text = run("kaggle", "pack", lora_model[0], "-o", tmp_path / "kit2", "--set", "predict_max_tokns=9")
    assert code == 2 and "unknown option 'predict_max_tokns'" in text and not (tmp_path / "kit2").exists()


def test_the_notebook_passes_its_options_to_the_model(
    lora_model: tuple[Path, Path], data_dir: Path, tmp_path: Path
) -> None:
    from arenapref.kaggle.runtime import make_submission

    test = data_dir / "kaggle-sample" / "train.csv"
    make_submission(lora_model[0], test, tmp_path / "a.csv", options={"predict_max_tokens": "64"})
    make_submission(lora_model[0], test, tmp_path / "b.csv")
    a, b = (pd.read_csv(tmp_path / f"{n}.csv") for n in "ab")
    np.testing.assert_allclose(a.iloc[:, 1:].to_numpy(), b.iloc[:, 1:].to_numpy(), atol=1e-5)
    with pytest.raises(ModelDirError, match="unknown option"):
        make_submission(lora_model[0], test, tmp_path / "c.csv", options={"nope": "1"})
