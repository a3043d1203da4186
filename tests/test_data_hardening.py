"""Bad input the reader must name (file, row, field) or report, never a traceback: empty tables, soft labels that
are not probabilities, wrongly typed Kaggle fields, a missing label column; messages that read right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.errors import DataError
from arenapref.data.io import read_battles, write_battles
from arenapref.data.report import ReadReport
from arenapref.data.turns import FieldError, parse_json_list
from arenapref.report.leaderboard import build_leaderboard
from cli_support import run

KAGGLE_COLUMNS = ["id", "model_a", "model_b", "prompt", "response_a", "response_b"]
WINNERS = ["winner_model_a", "winner_model_b", "winner_tie"]


@pytest.fixture(scope="module")
def kaggle(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "kaggle-sample" / "train.csv", dtype=str).head(6)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_inspect_of_an_empty_table_is_one_line(
    kind: str, kaggle: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"empty.{kind}"
    empty = kaggle.head(0)
    empty.to_csv(path, index=False) if kind == "csv" else empty.to_parquet(path)
    code, text = run(monkeypatch, capsys, "data", "inspect", path)
    assert code == 0, text
    assert text.strip() == f"{path} [kaggle]: read 0, kept 0, dropped 0 (empty table: no battles)"


def test_soft_labels_that_are_not_probabilities_are_dropped_and_named(data_dir: Path, tmp_path: Path) -> None:
    battles, _ = read_battles(data_dir / "vicuna80" / "vicuna80_human_pairwise.jsonl")
    table = battles.head(6).copy()
    table.loc[1, "soft_a"] = 5.0  # outside [0, 1]
    table.loc[2, ["soft_a", "soft_b", "soft_tie"]] = [0.5, 0.5, 0.5]  # sums to 1.5
    table.loc[3, "soft_tie"] = np.nan  # two of three
    write_battles(table, tmp_path / "battles.parquet")
    out, report = read_battles(tmp_path / "battles.parquet")
    assert len(out) == 3 and report.rows_dropped == 3
    assert report.dropped == {
        "field 'soft_a': expected a probability in [0, 1], got 5.0": ["row 2"],
        "field 'soft_a': soft labels sum to 1.5, not 1": ["row 3"],
        "field 'soft_tie': soft labels need all of soft_a, soft_b, soft_tie; soft_tie is missing": ["row 4"],
    }
    kept = out[["soft_a", "soft_b", "soft_tie"]].to_numpy()
    assert ((kept >= 0) & (kept <= 1)).all() and np.allclose(kept.sum(axis=1), 1)


def test_a_kaggle_field_of_the_wrong_type_is_named_with_its_row(kaggle: pd.DataFrame, tmp_path: Path) -> None:
    table = kaggle.copy()
    table["prompt"] = np.arange(len(table))  # integers, not JSON text
    table.to_parquet(tmp_path / "int_prompt.parquet")
    with pytest.raises(DataError) as error:
        read_battles(tmp_path / "int_prompt.parquet")
    assert "row 1 and 5 more: field 'prompt': expected a JSON list of strings as text, got int" in str(error.value)
    with pytest.raises(FieldError, match="missing value"):
        parse_json_list(None, ReadReport("x", "kaggle"))


@pytest.mark.parametrize("missing", WINNERS)
def test_a_kaggle_file_without_one_label_column_names_it(kaggle: pd.DataFrame, tmp_path: Path, missing: str) -> None:
    kaggle.drop(columns=[missing]).to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(DataError, match=f"field '{missing}': label column {missing} missing"):
        read_battles(tmp_path / "train.csv")
    kaggle[KAGGLE_COLUMNS].to_csv(tmp_path / "test.csv", index=False)  # no winner column at all: test data
    unlabelled, _ = read_battles(tmp_path / "test.csv")
    assert unlabelled["label"].isna().all() and len(unlabelled) == len(kaggle)


def test_messages_read_right(data_dir: Path) -> None:
    with pytest.raises(FieldError) as error:
        parse_json_list('["unterminated', ReadReport("x", "kaggle"))
    assert "at at" not in str(error.value) and "Unterminated string starting at: line 1 column 2" in str(error.value)
    battles, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")
    battles.loc[0, "label"] = pd.NA
    notes = build_leaderboard(battles, style=False, rounds=10).notes
    assert "1 battle not used: unlabelled" in notes
