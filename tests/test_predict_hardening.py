"""`arenapref predict`: an output path that cannot be written is one line naming it; rows dropped from the input
are counted as ids missing from the submission, and --strict refuses them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from arenapref.data.io import read_battles
from arenapref.models.baselines import PriorModel
from cli_support import run


@pytest.fixture(scope="module")
def prior_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    battles, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")
    return PriorModel().fit(battles).save(tmp_path_factory.mktemp("prior") / "model")


@pytest.fixture(scope="module")
def with_bad_row(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten Kaggle rows, the third with a prompt that is not JSON."""
    table = pd.read_csv(data_dir / "kaggle-sample" / "train.csv", dtype=str).head(10)
    table.loc[2, "prompt"] = '["unterminated'
    path = tmp_path_factory.mktemp("input") / "test.csv"
    table.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("kind", ["folder", "under a file"])
def test_an_output_path_that_cannot_be_written_is_one_line(
    kind: str,
    prior_dir: Path,
    with_bad_row: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a_file").write_text("x")
    out = tmp_path if kind == "folder" else tmp_path / "a_file" / "submission.csv"
    code, text = run(monkeypatch, capsys, "predict", prior_dir, with_bad_row, "-o", out)
    assert code == 2, text
    assert text.startswith(f"error: {out}") and len(text.strip().splitlines()) == 1, text
    assert ("is a folder" if kind == "folder" else "a_file is a file, not a folder") in text


def test_dropped_rows_are_missing_ids_and_strict_refuses_them(
    prior_dir: Path,
    with_bad_row: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # the summary on one line
    out = tmp_path / "submission.csv"
    code, text = run(monkeypatch, capsys, "predict", prior_dir, with_bad_row, "-o", out)
    assert code == 0, text
    assert "9 of 10 rows" in text and "1 id(s) missing from the output" in text
    assert len(pd.read_csv(out)) == 9
    out.unlink()
    code, text = run(monkeypatch, capsys, "predict", prior_dir, with_bad_row, "-o", out, "--strict")
    assert code == 2 and "--strict: 1 row(s) dropped; first: row 4: field 'prompt': invalid JSON list" in text, text
    assert not out.exists()
