"""`arenapref data inspect` / `data convert`: output, conversions, and bad input -> one clear line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from arenapref.data.io import read_battles
from cli_support import run

KAGGLE_HEADER = "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n"
GOOD_ROW = '7,m1,m2,"[""q""]","[""a""]","[""b""]",1,0,0\n'
BAD_ROW = '8,m1,m2,"[""q""]","[""a""]","[""b",0,1,0\n'  # truncated JSON in response_b


def test_inspect_shows_format_counts_and_report(monkeypatch, capsys, data_dir: Path) -> None:
    code, out = run(monkeypatch, capsys, "data", "inspect", data_dir / "kaggle-sample", data_dir / "vicuna80")
    assert code == 0
    for expected in ("rows and labels", "turns and lengths", "kaggle-sample", "vicuna80", "longer wins"):
        assert expected in out
    assert "[kaggle]: read 100, kept 100, dropped 0" in out
    assert "224 rows have no majority vote" in out
    assert "2 files, 2312 battles" in out


def test_convert_to_parquet_and_kaggle_csv(monkeypatch, capsys, data_dir: Path, tmp_path: Path) -> None:
    source = data_dir / "hh-rlhf" / "helpful-online-test.jsonl.gz"
    code, out = run(monkeypatch, capsys, "data", "convert", source, "-o", tmp_path / "hh.parquet")
    assert code == 0 and "wrote 1137 battles" in out
    table, report = read_battles(tmp_path / "hh.parquet")
    assert report.format == "battles" and len(table) == 1137
    code, out = run(monkeypatch, capsys, "data", "convert", source, "-o", tmp_path / "hh.out", "--to", "kaggle")
    assert code == 0
    csv = pd.read_csv(tmp_path / "hh.out")
    assert len(csv) == 1137 and csv[["winner_model_a", "winner_model_b"]].sum().sum() == 1137
    assert csv["winner_tie"].sum() == 0
    again, _ = read_battles(tmp_path / "hh.out")
    assert again["prompt"].tolist() == table["prompt"].tolist()
    assert again["label"].tolist() == table["label"].tolist()


def test_dropped_rows_reported_and_strict_fails(monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text(KAGGLE_HEADER + GOOD_ROW + BAD_ROW)
    code, out = run(monkeypatch, capsys, "data", "inspect", path)
    assert code == 0 and "dropped 1" in out and "row 3" in out and "'response_b'" in out
    code, out = run(monkeypatch, capsys, "data", "convert", path, "-o", tmp_path / "x.parquet", "--strict")
    assert code == 2
    assert str(path) in out and "row 3" in out and "'response_b'" in out and "--strict" in out
    assert not (tmp_path / "x.parquet").exists()


BAD_INPUTS = {
    "empty": (b"", "file is empty"),
    "truncated_json": (b'[{"chosen": "\\n\\nHuman: a\\n\\nAssistant: b", "rejected": "\\n\\nHu', "invalid JSON"),
    "missing_column": (b'id,prompt,response_a\n1,"[""q""]","[""a""]"\n', "needs columns ['response_b']"),
    "not_utf8": (KAGGLE_HEADER.encode() + b'1,m,n,"[""caf\xe9""]","[""a""]","[""b""]",1,0,0\n', "not UTF-8"),
    "unknown_format": (b"x,y,z\n1,2,3\n", "unknown format"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_line(monkeypatch, capsys, tmp_path: Path, case: str) -> None:
    payload, message = BAD_INPUTS[case]
    path = tmp_path / f"{case}.data"
    path.write_bytes(payload)
    code, out = run(monkeypatch, capsys, "data", "inspect", path)
    assert code == 2
    assert str(path) in out and message in out
    assert "Traceback" not in out
    if case == "missing_column":
        assert "field 'response_b'" in out
    if case == "not_utf8":
        assert "line 2" in out and "0xe9" in out


def test_unknown_format_option_and_missing_file(monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(KAGGLE_HEADER + GOOD_ROW)
    code, out = run(monkeypatch, capsys, "data", "inspect", path, "--format", "nope")
    assert code == 2 and "unknown format 'nope'" in out and "kaggle" in out
    code, out = run(monkeypatch, capsys, "data", "inspect", tmp_path / "absent.csv")
    assert code == 2 and "no such file" in out


def test_console_script_exit_code_and_no_traceback(tmp_path: Path) -> None:
    """End to end through a real process: the truncated JSON file gives exit 2 and one line on stderr."""
    path = tmp_path / "cut.json"
    path.write_bytes(BAD_INPUTS["truncated_json"][0])
    proc = subprocess.run(
        [sys.executable, "-c", "from arenapref.cli import main; main()", "data", "inspect", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert str(path) in proc.stderr and "row 1" in proc.stderr and "invalid JSON" in proc.stderr
