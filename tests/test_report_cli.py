"""`arenapref report`: one self-contained page with every section, PNGs beside it, reasons for what is missing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from arenapref.data.io import read_battles
from arenapref.data.submission import write_kaggle_train
from report_support import image_sources, run, write_predictions

EDA_FIGURES = {
    "winner_distribution",
    "model_usage",
    "model_win_rates",
    "length_vs_outcome",
    "winner_by_position",
    "tie_rate_vs_similarity",
    "turns_per_battle",
}
SECTIONS = (
    "Winner distribution",
    "Model usage",
    "Per-model win rates",
    "Length difference vs outcome",
    "Winner by position",
    "Turns per battle",
    "Tie rate vs similarity",
    "Validation and repair report",
)


def test_report_has_every_section_inline_and_as_png(monkeypatch, capsys, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, text = run(monkeypatch, capsys, "report", data_dir / "kaggle-sample", data_dir / "autoj", "-o", out)
    assert code == 0, text
    html = out.read_text()
    for section in SECTIONS:
        assert section in html
    sources = image_sources(html)
    assert len(sources) == len(EDA_FIGURES)
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    assert "http://" not in html and "https://" not in html  # nothing to fetch
    assert {p.stem for p in (tmp_path / "report_figures").glob("*.png")} == EDA_FIGURES
    # The repair report of both readers is on the page.
    assert "[kaggle]: read 100, kept 100, dropped 0" in html and "[autoj]: read 1392" in html
    # autoj has no model names: said on the page, model sections drawn from kaggle-sample alone.
    assert "testdata_pairwise.jsonl [autoj]: no row has model_a / model_b" in html


def test_report_without_model_names_says_why(monkeypatch, capsys, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "autoj.html"
    code, text = run(monkeypatch, capsys, "report", data_dir / "autoj", "-o", out)
    assert code == 0, text
    html = out.read_text()
    assert "Not shown: no model names (model_a / model_b) in any file" in html
    assert "not shown model usage and win rates" in " ".join(text.split())
    assert "fig-model_usage" not in html and "fig-length_vs_outcome" in html


def test_report_on_unlabelled_battles_skips_outcome_sections(monkeypatch, capsys, data_dir, tmp_path) -> None:
    battles, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")
    test_csv = write_kaggle_train(battles.assign(label=pd.NA), tmp_path / "test.csv")
    code, text = run(monkeypatch, capsys, "report", test_csv, "-o", tmp_path / "r.html")
    assert code == 0, text
    html = (tmp_path / "r.html").read_text()
    assert "Not shown: no labels in any file" in html
    assert "fig-turns_per_battle" in html and "fig-model_usage" in html


def test_report_with_predictions_adds_the_evaluation_figures(monkeypatch, capsys, data_dir, tmp_path) -> None:
    battles, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")
    pred, swapped = write_predictions(battles, tmp_path)
    out = tmp_path / "report.html"
    args = ("report", data_dir / "kaggle-sample", "-o", out, "--predictions", pred, "--swapped", swapped)
    code, text = run(monkeypatch, capsys, *args)
    assert code == 0, text
    names = {p.stem for p in (tmp_path / "report_figures").glob("*.png")}
    assert {"reliability_3-way", "confusion_3-way", "verbosity", "position_3-way"} <= names
    assert names >= EDA_FIGURES
    html = out.read_text()
    assert "Evaluation of the predictions" in html and "log loss" in html
    assert len(image_sources(html)) == len(names)


def test_report_predictions_must_cover_the_battles(monkeypatch, capsys, data_dir, tmp_path) -> None:
    battles, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")
    pred, _ = write_predictions(battles.iloc[:50], tmp_path)
    code, text = run(monkeypatch, capsys, "report", data_dir / "kaggle-sample", "-o", tmp_path / "r.html",
                     "--predictions", pred)  # fmt: skip
    assert code == 2
    assert "pred.csv" in text and "no prediction for 50 truth id(s)" in text
    assert "Traceback" not in text
