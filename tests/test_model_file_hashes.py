"""Every model directory records a SHA-256 for every file it holds (issue 24 item 9): PreferenceModel.save writes
them into model.json's `files`, fold averaging records its own folder's, and registry.load, average-folds and the
Kaggle pack refuse a folder whose files changed, in one line, whatever the model kind. Folders saved before the
records existed still load (tests/test_model_dir_compat.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from arenapref.data.io import read_battles
from arenapref.kaggle.errors import KitError
from arenapref.kaggle.modelcopy import copy_model
from arenapref.models import registry
from arenapref.models.base import ModelDirError
from arenapref.models.embedding.embed_mlp import EmbedMLPModel
from arenapref.models.embedding.ensemble import EnsembleModel
from cli_support import run_cli


@pytest.fixture(scope="module")
def battles(data_dir: Path) -> pd.DataFrame:
    return read_battles(data_dir / "kaggle-sample" / "train.csv")[0]


def flip_byte(path: Path, at: int = -1) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def files_on_disk(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()} - {"model.json"}


def recorded(directory: Path) -> set[str]:
    return {r["file"] for r in json.loads((directory / "model.json").read_text())["files"]}


MODELS = {
    "prior": lambda: registry.create("prior"),
    "fast": lambda: registry.create("fast"),
    "embed-mlp": lambda: EmbedMLPModel(train={"max_epochs": 2, "patience": 1, "fallback_epochs": 1}),
    "ensemble": lambda: EnsembleModel(members=["longer_wins", "prior"], inner_folds=2),
}


@pytest.mark.parametrize("kind", MODELS)
def test_every_file_is_recorded_and_any_changed_byte_is_refused_on_load(
    kind: str, battles: pd.DataFrame, tmp_path: Path
) -> None:
    saved = MODELS[kind]().fit(battles).save(tmp_path / "model")
    assert recorded(saved) == files_on_disk(saved)  # an ensemble's members, their model.json included
    registry.load(saved)
    for name in sorted(files_on_disk(saved)):
        copy = tmp_path / name.replace("/", "_")
        shutil.copytree(saved, copy)
        flip_byte(copy / name)
        with pytest.raises(ModelDirError, match="SHA-256 mismatch"):
            registry.load(copy)
        with pytest.raises(KitError, match="SHA-256 mismatch"):
            copy_model(copy, tmp_path / "kit" / name.replace("/", "_"))
    for name in sorted(files_on_disk(saved))[:1]:
        (saved / name).unlink()
        with pytest.raises(ModelDirError, match=f"missing file {name}"):
            registry.load(saved)


def test_a_malformed_file_record_is_one_line(battles: pd.DataFrame, tmp_path: Path) -> None:
    saved = registry.create("fast").fit(battles).save(tmp_path / "model")
    meta = json.loads((saved / "model.json").read_text())
    meta["files"][0]["file"] = "../outside.txt"
    (saved / "model.json").write_text(json.dumps(meta))
    code, text = run_cli("predict", saved, tmp_path / "x.csv", "-o", tmp_path / "out.csv")
    assert code == 2 and "files.0.file" in text and "leaves the model folder" in text and "Traceback" not in text


@pytest.mark.slow
def test_a_cross_encoders_fold_with_a_changed_head_is_refused_by_predict_average_and_pack(
    data_dir: Path, tmp_path: Path
) -> None:
    """The reproduction: `train --model cross-encoder --folds 2` (the bundled MiniLM, a few rows, one epoch), one
    byte of fold-1/head.safetensors flipped: predict, average-folds and kaggle pack refuse it in one line."""
    pytest.importorskip("peft")
    rows = pd.read_csv(data_dir / "kaggle-sample" / "train.csv").head(12)
    rows.to_csv(tmp_path / "train.csv", index=False)
    options = {"max_length": "32", "prompt_cap": "8", "eval_fraction": "0", "progress_bar": "false", "epochs": "1"}
    sets = [a for k, v in options.items() for a in ("--set", f"{k}={v}")]
    code, text = run_cli(
        "train", tmp_path / "train.csv", "--model", "cross-encoder", *sets, "--folds", "2", "-o", tmp_path / "run"
    )
    assert code == 0, text
    folds = [tmp_path / "run" / f"fold-{i}" for i in range(2)]
    assert {"head.safetensors", "backbone/model.safetensors"} <= recorded(folds[1])
    assert recorded(folds[1]) == files_on_disk(folds[1])
    code, text = run_cli("average-folds", *folds, "-o", tmp_path / "averaged")
    assert code == 0, text
    assert recorded(tmp_path / "averaged") == files_on_disk(tmp_path / "averaged")  # averaging records its own
    registry.load(tmp_path / "averaged")

    flip_byte(folds[1] / "head.safetensors", at=len((folds[1] / "head.safetensors").read_bytes()) // 2)
    commands = {
        "predict": ["predict", folds[1], tmp_path / "train.csv", "-o", tmp_path / "p.csv"],
        "average-folds": ["average-folds", *folds, "-o", tmp_path / "averaged-2"],
        "kaggle pack": ["kaggle", "pack", folds[1], "-o", tmp_path / "kit"],
    }
    for what, args in commands.items():
        code, text = run_cli(*args)
        assert code == 2, (what, text)
        assert "head.safetensors: contents changed since the model was saved (SHA-256 mismatch)" in text, (what, text)
        assert "Traceback" not in text and len(text.strip().splitlines()) == 1, (what, text)
    assert not (tmp_path / "averaged-2").exists() and not (tmp_path / "kit").exists()


def test_average_folds_writes_its_folder_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same class for average-folds' output: a file as -o is one line, and a failure half way leaves neither
    the folder nor a temporary one."""
    pytest.importorskip("peft")
    from arenapref.pipeline import fold_average
    from pipeline_support import lora_fold, tiny_llama

    base = tiny_llama(tmp_path / "base")
    folds = [lora_fold(base, tmp_path / f"fold{k}", seed=k) for k in range(2)]
    (tmp_path / "FILE").write_text("x")
    code, text = run_cli("average-folds", *folds, "-o", tmp_path / "FILE")
    assert code == 2 and "FILE: is a file, not a folder" in text and "Traceback" not in text, text

    def fail(*args: object) -> None:
        raise ModelDirError("failed half way")

    monkeypatch.setattr(fold_average, "merged_weights", fail)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ModelDirError, match="failed half way"):
        fold_average.average_folds(folds, tmp_path / "averaged", method="deltas")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    report = fold_average.average_folds(folds, tmp_path / "averaged")  # adapters: written and renamed into place
    assert report.tensors > 0 and recorded(tmp_path / "averaged") == files_on_disk(tmp_path / "averaged")
