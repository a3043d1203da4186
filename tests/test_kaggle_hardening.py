"""`arenapref kaggle` faults as one line and exit 2, never a traceback (issue 24 item 11): a kit path that is a
file, under a file or inside the model; a MANIFEST.json that is no object or lacks fields; a test file the
notebook cannot read, found before any venv or notebook work; relayed errors without terminal escape codes."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from arenapref.data.schema import LABEL_NAMES
from arenapref.kaggle.check import STEPS, _step
from arenapref.kaggle.errors import KitError
from arenapref.models import registry
from cli_support import run_cli as run

SHA = "0" * 64


@pytest.fixture(scope="module")
def model_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return registry.create("prior").fit(_sample(data_dir)).save(tmp_path_factory.mktemp("kaggle") / "prior")


def _sample(data_dir: Path) -> pd.DataFrame:
    from arenapref.data.io import read_battles

    return read_battles(data_dir / "kaggle-sample" / "train.csv")[0]


@pytest.fixture(scope="module")
def test_csv(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = pd.read_csv(data_dir / "kaggle-sample" / "train.csv")
    path = tmp_path_factory.mktemp("kaggle") / "test.csv"
    raw.drop(columns=["model_a", "model_b", *LABEL_NAMES]).head(10).to_csv(path, index=False)
    return path


def one_line_error(code: int, text: str) -> None:
    assert code == 2, text
    assert "Traceback" not in text and "\x1b" not in text and len(text.strip().splitlines()) == 1, text


def test_pack_into_a_file_is_one_line(model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "FILE").write_text("keep me")
    code, text = run("kaggle", "pack", model_dir, "-o", tmp_path / "FILE")
    one_line_error(code, text)
    assert "FILE: is a file" in text and (tmp_path / "FILE").read_text() == "keep me"
    code, text = run("kaggle", "pack", model_dir, "-o", tmp_path / "FILE" / "kit")
    one_line_error(code, text)
    assert "cannot create the kit folder" in text


def test_pack_inside_the_model_directory_is_refused(model_dir: Path) -> None:
    code, text = run("kaggle", "pack", model_dir, "-o", model_dir / "kit")
    one_line_error(code, text)
    assert "lies inside the model directory" in text and not (model_dir / "kit").exists()


def _manifest(**fields: object) -> dict[str, object]:
    files = [{"path": "submit.py", "bytes": 1, "sha256": SHA}]
    return {"kind": "arenapref-kaggle-kit", "format": 1, "install": "arenapref==0.1.0", "target": {"python": "3.11"},
            "files": files, **fields}  # fmt: skip


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ([1, 2], "not an arenapref kit manifest (a JSON list, not an object)"),
        ({k: v for k, v in _manifest().items() if k != "files"}, "field files: Field required"),
        (_manifest(files={"path": "x"}), "field files: Input should be a valid list"),
        (_manifest(files=["x"]), "field files.0: Input should be a valid dictionary"),
        (_manifest(files=[{"path": "../../etc/passwd", "bytes": 1, "sha256": SHA}]), "leaves the kit"),
        (_manifest(target="3.11"), "field target: Input should be a valid dictionary"),
        (_manifest(left_out=[{"name": "torch"}]), "field left_out.0.version: Field required"),
    ],
)
def test_check_a_malformed_manifest_is_one_line(manifest: object, message: str, test_csv: Path, tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "MANIFEST.json").write_text(json.dumps(manifest))
    code, text = run("kaggle", "check", kit, "--test", test_csv, "--work", tmp_path / "work")
    one_line_error(code, text)
    assert message in text


@pytest.mark.parametrize(
    ("drop", "message"),
    [("response_b", "field 'response_b': format 'kaggle' needs columns ['response_b']"), ("id", "field 'id'")],
)
def test_check_reads_the_test_file_before_any_venv_work(
    drop: str, message: str, test_csv: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "test.csv"
    pd.read_csv(test_csv).drop(columns=[drop]).to_csv(bad, index=False)
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "MANIFEST.json").write_text(json.dumps(_manifest()))  # its listed file is missing: checked later
    started = time.monotonic()
    code, text = run("kaggle", "check", kit, "--test", bad, "--work", tmp_path / "work")
    one_line_error(code, text)
    assert f"test file {bad}" in text and message in text
    assert time.monotonic() - started < 10 and not (tmp_path / "work").exists()


def test_check_with_work_that_is_a_file_is_one_line(test_csv: Path, tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "MANIFEST.json").write_text(json.dumps(_manifest(files=[])))
    (tmp_path / "work").write_text("x")
    code, text = run("kaggle", "check", kit, "--test", test_csv, "--work", tmp_path / "work")
    one_line_error(code, text)
    assert "--work takes a folder" in text


def test_relayed_errors_lose_their_escape_codes() -> None:
    noisy = "\x1b[0;31mDataError\x1b[0m: \x1b]0;title\x07test.csv, field 'response_b':\r\n  format needs it\x1b[K"
    command = [sys.executable, "-c", f"import sys; sys.stderr.write({noisy!r}); sys.exit(1)"]
    with pytest.raises(KitError) as caught:
        _step({}, next(iter(STEPS)), lambda message: None, command, {})
    assert str(caught.value) == ("check step 'venv' failed: DataError: test.csv, field 'response_b': | format needs it")
    assert str(KitError(f"pip said: {noisy}")) == "pip said: DataError: test.csv, field 'response_b': format needs it"
