"""Kaggle train/test CSV reading, its repairs, the round trip to Kaggle CSV and the submission file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.io import read_battles
from arenapref.data.submission import write_kaggle_train, write_submission

HEADER = "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n"


def cell(value: object) -> str:
    """A CSV cell holding JSON, quoted the way pandas / the Kaggle file quote it."""
    return '"' + json.dumps(value).replace('"', '""') + '"'


def test_round_trip_keeps_every_field(data_dir: Path, tmp_path: Path) -> None:
    source = data_dir / "kaggle-sample/train.csv"
    battles, _ = read_battles(source)
    out = write_kaggle_train(battles, tmp_path / "train.csv")
    original = pd.read_csv(source, dtype=str, keep_default_na=False)
    again = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(again.columns) == list(original.columns)
    for column in ("id", "model_a", "model_b", "winner_model_a", "winner_model_b", "winner_tie"):
        assert again[column].tolist() == original[column].tolist(), column
    for column in ("prompt", "response_a", "response_b"):  # same turns; the JSON escaping style may differ
        assert again[column].map(json.loads).tolist() == original[column].map(json.loads).tolist(), column
    reread, report = read_battles(out)
    pd.testing.assert_frame_equal(reread.drop(columns="source"), battles.drop(columns="source"))
    assert report.rows_dropped == 0


def test_repairs_are_counted_and_applied(tmp_path: Path) -> None:
    half_emoji = ["bye \ud83d"]
    rows = [
        f"1,m1,m2,{cell(['hi'])},{cell(half_emoji)},{cell([None])},1,0,0",  # lone surrogate; null turn
        '2,m1,m2,"[""a\\q""]","[""x""]","[""y""]",0,1,0',  # broken escape \q
        f"3,m1,m2,{cell(['p1', 'p2'])},{cell(['r1'])},{cell(['s1', 's2'])},0,0,1",  # unequal turn counts
    ]
    path = tmp_path / "train.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="ascii")
    df, report = read_battles(path)
    assert report.rows_kept == 3
    assert report.repairs["lone surrogate replaced"] == 1
    assert report.repairs["null turn kept as None"] >= 1
    assert report.repairs["broken backslash escape fixed"] == 1
    assert report.repairs["unequal turn counts padded with None"] == 1
    by_id = df.set_index("id")
    assert by_id.loc["1", "response_a"] == ["bye \ufffd"]
    assert by_id.loc["1", "response_b"] == [None]
    assert by_id.loc["2", "prompt"] == ["a\\q"]
    assert by_id.loc["3", "response_a"] == ["r1", None]
    assert by_id["label"].tolist() == [0, 1, 2]


def test_bad_rows_are_dropped_with_row_and_field(tmp_path: Path) -> None:
    rows = [
        f"1,m1,m2,{cell(['ok'])},{cell(['a'])},{cell(['b'])},1,0,0",
        f'2,m1,m2,"[""cut",{cell(["a"])},{cell(["b"])},1,0,0',  # truncated JSON
        f"3,m1,m2,{cell(['ok'])},{cell(['a'])},{cell(['b'])},1,1,0",  # not one-hot
        f"4,m1,m2,{cell(['ok'])},{cell(['a'])},{cell(['b'])},1,,0",  # missing winner value
        f"5,m1,m2,{cell({'a': 1})},{cell(['a'])},{cell(['b'])},1,0,0",  # wrong type
    ]
    path = tmp_path / "train.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    df, report = read_battles(path)
    assert df["id"].tolist() == ["1"]
    assert (report.rows_read, report.rows_kept, report.rows_dropped) == (5, 1, 4)
    reasons = {row_id: reason for reason, ids in report.dropped.items() for row_id in ids}
    assert set(reasons) == {"row 3", "row 4", "row 5", "row 6"}  # 1-based, the header is row 1
    assert "'prompt'" in reasons["row 3"] and "invalid JSON" in reasons["row 3"]
    assert "one-hot" in reasons["row 4"]
    assert "'winner_model_b'" in reasons["row 5"]
    assert "'prompt'" in reasons["row 6"] and "dict" in reasons["row 6"]


def test_unlabelled_rows_survive_kaggle_csv(data_dir: Path, tmp_path: Path) -> None:
    battles, _ = read_battles(data_dir / "copilot-arena/copilot_arena_examples_v1.csv")
    out = write_kaggle_train(battles, tmp_path / "copilot.csv")
    again, report = read_battles(out)
    assert again["label"].tolist() == battles["label"].tolist()  # 92 A, 20 B and the one unlabelled row
    assert report.repairs["label missing (kept unlabelled)"] == 1 and report.rows_dropped == 0
    assert again["prompt"].tolist() == battles["prompt"].tolist()


def test_kaggle_test_csv_reads_unlabelled(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text("id,prompt,response_a,response_b\n" + f"136060,{cell(['q'])},{cell(['a'])},{cell(['b'])}\n")
    df, report = read_battles(path)
    assert report.format == "kaggle"
    assert df["label"].isna().all() and df["model_a"].isna().all()
    assert df["id"].tolist() == ["136060"]


def test_submission_file(tmp_path: Path) -> None:
    proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    out = write_submission(["136060", "211333"], proba, tmp_path / "sub" / "submission.csv")
    sub = pd.read_csv(out)
    assert list(sub.columns) == ["id", "winner_model_a", "winner_model_b", "winner_tie"]
    assert sub["id"].tolist() == [136060, 211333]
    np.testing.assert_allclose(sub.iloc[:, 1:].to_numpy(), proba)
