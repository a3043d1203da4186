"""Damaged model folders: model.json checked against its schema, artefacts hashed on their bytes, boosters checked
before LightGBM parses them; predict and serve refuse alike with one line (exit 2), never a traceback or abort."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from arenapref.models.base import ModelDirError
from arenapref.models.trees.booster_text import structure_problem
from arenapref.serve.app import create_app
from cli_support import run
from serve_support import DATA, small_fast_model_dir

BATTLES = DATA / "autoj" / "testdata_pairwise.jsonl"


def damaged(tmp_path: Path, edit: Callable[[dict[str, Any], Path], None]) -> Path:
    """A copy of the small fast model whose model.json (and files) `edit` changed in place."""
    directory = tmp_path / "model"
    shutil.copytree(small_fast_model_dir(), directory)
    meta = json.loads((directory / "model.json").read_text())
    edit(meta, directory)
    (directory / "model.json").write_text(json.dumps(meta))
    return directory


def rewrite_booster(directory: Path, meta: dict[str, Any], data: bytes) -> None:
    """Replace tie.lgb.txt by `data` and record its hash (in the state and in the folder's file records), as
    someone tampering with the folder would."""
    (directory / "tie.lgb.txt").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    meta["state"]["boosters"]["tie"]["sha256"] = digest
    for record in meta.get("files", []):
        if record["file"] == "tie.lgb.txt":
            record["sha256"] = digest


Refused = Callable[[Path, str], None]


@pytest.fixture
def assert_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Refused:
    """predict: exit 2, one line naming the problem, no traceback; serve: the same ModelDirError."""

    def check(directory: Path, message: str) -> None:
        code, text = run(monkeypatch, capsys, "predict", directory, BATTLES, "-o", tmp_path / "out.csv")
        assert code == 2, text
        assert message in text and "Traceback" not in text, text
        assert len(text.strip().splitlines()) == 1, text
        with pytest.raises(ModelDirError, match=re.escape(message)):
            create_app(directory)

    return check


def _set(path: str, value: Any) -> Callable[[dict[str, Any], Path], None]:
    def edit(meta: dict[str, Any], directory: Path) -> None:
        *parents, last = path.split(".")
        node = meta
        for key in parents:
            node = node[key]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value

    return edit


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("state.temperatures.direction", "hot", "state.temperatures.direction: Input should be a valid number"),
        ("state", KeyError, "state: Field required"),
        ("state.params.no_such_setting", 1, "state.params.no_such_setting: Extra inputs are not permitted"),
        ("state.params.boost.no_such_setting", 1, "state.params.boost.no_such_setting: Unexpected keyword"),
        ("state.boosters", {}, "state.boosters: Dictionary should have at least 1 item"),
        ("state.temperatures.direction", 0.0, "temperature direction = 0.0 is outside the fitted range"),
        ("state.temperatures.tie", -1.0, "temperature tie = -1.0 is outside the fitted range"),
        ("state.length_weight", 1e308, "state.length_weight: Input should be less than or equal to 50"),
        ("state.boosters.tie.file", "../../m/tie.lgb.txt", "state.boosters.tie.file: Value error, '../../m/tie"),
        ("state.features_file.file", "/etc/passwd", "state.features_file.file: Value error, '/etc/passwd' leaves"),
    ],
)
def test_schema_violations_are_one_line(
    tmp_path: Path, assert_refused: Refused, path: str, value: Any, message: str
) -> None:
    assert_refused(damaged(tmp_path, _set(path, value)), message)


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path, assert_refused: Refused) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    def edit(meta: dict[str, Any], directory: Path) -> None:
        shutil.move(directory / "tie.lgb.txt", outside / "tie.lgb.txt")
        (directory / "tie.lgb.txt").symlink_to(outside / "tie.lgb.txt")

    assert_refused(damaged(tmp_path, edit), "lies outside the model folder")


def test_random_bytes_in_a_booster(tmp_path: Path, assert_refused: Refused) -> None:
    noise = os.urandom(4096) + b"\xff\xfe"
    replaced = damaged(tmp_path / "a", lambda meta, d: (d / "tie.lgb.txt").write_bytes(noise))
    assert_refused(replaced, "SHA-256 mismatch")
    rehashed = damaged(tmp_path / "b", lambda meta, d: rewrite_booster(d, meta, noise))
    assert_refused(rehashed, "tie.lgb.txt: not UTF-8 text")


def test_every_truncation_of_a_booster_is_caught_before_lightgbm() -> None:
    text = (small_fast_model_dir() / "tie.lgb.txt").read_text()
    assert structure_problem(text) is None
    cut_short = [n for n in range(len(text)) if structure_problem(text[:n]) is None and text[n:].strip()]
    assert cut_short == []


@pytest.mark.parametrize("fraction", [0.3, 0.7, 0.999])
def test_truncated_booster_with_its_hash_rewritten_is_refused_not_aborted(tmp_path: Path, fraction: float) -> None:
    """In a separate process: before the check, LightGBM aborted (exit 134) or crashed (exit 139) on these."""
    text = (small_fast_model_dir() / "tie.lgb.txt").read_bytes()
    directory = damaged(tmp_path, lambda meta, d: rewrite_booster(d, meta, text[: int(len(text) * fraction)]))
    command = [sys.executable, "-c", "from arenapref.cli import main; main()", "predict", str(directory), str(BATTLES)]
    done = subprocess.run([*command, "-o", str(tmp_path / "out.csv")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "tie.lgb.txt: not a complete LightGBM model" in done.stderr and "Traceback" not in done.stderr


def test_model_info_shows_file_names_not_server_paths(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    training = [str(DATA / "autoj" / "testdata_pairwise.jsonl"), str(tmp_path / "secret" / "train.csv")]
    directory = damaged(tmp_path, lambda meta, d: meta.update(trained_on=training))
    response = TestClient(create_app(directory)).get("/v1/model")
    assert response.status_code == 200
    assert str(tmp_path) not in response.text and str(DATA) not in response.text
    info = response.json()
    assert info["directory"] == "model"
    assert info["metadata"]["trained_on"] == ["testdata_pairwise.jsonl", "train.csv"]
    assert info["metadata"]["training"]["rows"] == 400
