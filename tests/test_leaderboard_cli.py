"""`arenapref leaderboard` on the real sets: tables, files, anchors, tie models, and clear refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from arenapref.data.io import read_battles
from arenapref.report.eda import model_win_rates
from report_support import run

FAST = ("--rounds", "50", "--jobs", "1")


def test_kaggle_sample_leaderboard_writes_tables_and_figures(monkeypatch, capsys, data_dir: Path, tmp_path: Path):
    code, text = run(monkeypatch, capsys, "leaderboard", data_dir / "kaggle-sample", "-o", tmp_path, *FAST)
    assert code == 0, text
    assert "Leaderboard (bt, 100 battles" in text and "Style coefficients" in text and "LMSYS published" in text
    battles, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")
    table = pd.read_csv(tmp_path / "leaderboard.csv")
    assert set(table["model"]) == set(battles["model_a"]) | set(battles["model_b"])
    assert table["rating"].is_monotonic_decreasing
    assert {
        "rank",
        "model",
        "rating",
        "lower",
        "upper",
        "battles",
        "style rating",
        "style lower",
        "rank change",
    } <= set(table)
    assert (table["lower"] <= table["rating"] + 1e-9).all() and (table["rating"] <= table["upper"] + 1e-9).all()
    assert table["battles"].sum() == 200  # each battle counts for both its models
    data = json.loads((tmp_path / "leaderboard.json").read_text())
    coefs = {c["element"]: c for c in data["style_controlled"]["style_coefficients"]}
    assert set(coefs) == {"length", "header", "list", "bold"}
    assert coefs["length"]["lmsys"] == 0.249 and data["lmsys_style_coefficients"]["list"] == 0.031
    assert data["bradley_terry"]["bootstrap_rounds"] == 50
    for name in ("ratings", "win_rates", "win_probabilities", "style_coefficients"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    probs = pd.read_csv(tmp_path / "win_probabilities.csv", index_col="model")
    pairs = probs.to_numpy() + probs.to_numpy().T
    assert abs(pairs[~pd.isna(pairs)] - 1).max() < 1e-9


def test_copilot_arena_leaderboard_runs_and_refuses_a_tie_model(monkeypatch, capsys, data_dir: Path, tmp_path: Path):
    code, text = run(monkeypatch, capsys, "leaderboard", data_dir / "copilot-arena", "-o", tmp_path, *FAST)
    assert code == 0, text
    assert len(pd.read_csv(tmp_path / "leaderboard.csv")) >= 5
    assert "not used: unlabelled" in text or "not used: no model names" in text
    code, text = run(monkeypatch, capsys, "leaderboard", data_dir / "copilot-arena", "--ties", "davidson", *FAST)
    assert code == 2 and "needs ties" in text and "Traceback" not in text


def test_no_model_names_means_no_leaderboard_and_says_why(monkeypatch, capsys, data_dir: Path):
    code, text = run(monkeypatch, capsys, "leaderboard", data_dir / "autoj", *FAST)
    assert code == 2
    flat = " ".join(text.split())
    assert "testdata_pairwise.jsonl" in flat and "no row has model_a / model_b" in flat
    assert "Traceback" not in text


def test_vicuna80_ranks_gpt4_first_and_bard_last(monkeypatch, capsys, data_dir: Path, tmp_path: Path):
    """The README's vote win rates (ties as half): gpt4 highest (0.71), bard lowest (0.39)."""
    battles, _ = read_battles(data_dir / "vicuna80" / "vicuna80_human_pairwise.jsonl")
    rates = model_win_rates(battles).set_index("model")["win rate"]
    assert round(rates["gpt4"], 2) == 0.71 and round(rates["bard"], 2) == 0.39
    pairs = ("--pair", "gpt4,bard", "--pair", "bard, gpt35")  # several pairs, spaces allowed
    args = ("leaderboard", data_dir / "vicuna80", "-o", tmp_path, *pairs, "--no-style", *FAST)
    code, text = run(monkeypatch, capsys, *args)
    assert code == 0, text
    table = pd.read_csv(tmp_path / "leaderboard.csv")
    assert table["model"].iloc[0] == "gpt4" and table["model"].iloc[-1] == "bard"
    assert table["rank"].iloc[0] == 1 and (table["rank"].iloc[1:] > 1).all()  # gpt4's interval clears every other
    assert "predicted: gpt4 wins 0.7" in text and "predicted: bard wins 0.4" in text
    monkeypatch.setenv("COLUMNS", "200")
    assert re.search(r"--pair +A,B +Print", run(monkeypatch, capsys, "leaderboard", "--help")[1])
    code, text = run(monkeypatch, capsys, "leaderboard", data_dir / "vicuna80", "--pair", "gpt4", *FAST)
    assert code == 2 and "expected two model names as A,B, got 'gpt4'" in text


def test_anchor_fixes_a_named_model(monkeypatch, capsys, data_dir: Path, tmp_path: Path):
    args = ("leaderboard", data_dir / "vicuna80", "-o", tmp_path, "--anchor", "gpt35", "--anchor-rating", "1200")
    code, text = run(monkeypatch, capsys, *args, "--no-style", *FAST)
    assert code == 0, text
    row = pd.read_csv(tmp_path / "leaderboard.csv").set_index("model").loc["gpt35"]
    assert row["rating"] == 1200 and row["lower"] == 1200 and row["upper"] == 1200
    code, text = run(monkeypatch, capsys, "leaderboard", data_dir / "vicuna80", "--anchor", "nobody", *FAST)
    assert code == 2 and "anchor model 'nobody' is not among the rated models" in text
