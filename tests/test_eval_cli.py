"""`arenapref evaluate PRED TRUTH`: metrics of Kaggle-format files, the HTML page, and clear input errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from arenapref.cli import app
from arenapref.data.errors import DataError
from arenapref.data.submission import write_kaggle_train, write_submission
from arenapref.data.swap import swap
from arenapref.evaluation.metrics import kaggle_log_loss
from arenapref.models.baselines import LengthModel
from eval_support import synthetic_battles


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    battles = synthetic_battles("truth", 120, seed=5)
    model = LengthModel().fit(battles)
    truth = write_kaggle_train(battles, tmp_path / "truth.csv")
    pred = write_submission(battles["id"], model.predict_proba(battles), tmp_path / "pred.csv")
    swapped = write_submission(battles["id"], model.predict_proba(swap(battles)), tmp_path / "swapped.csv")
    shuffled = pd.read_csv(pred).sample(frac=1.0, random_state=0)  # row order must not matter
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    return {"truth": truth, "pred": pred, "swapped": swapped, "shuffled": tmp_path / "shuffled.csv"}


def test_evaluate_prints_metrics_and_writes_json_and_html(files: dict[str, Path], tmp_path: Path) -> None:
    html, out_json = tmp_path / "page.html", tmp_path / "eval.json"
    args = ["evaluate", str(files["shuffled"]), str(files["truth"]), "--swapped", str(files["swapped"])]
    result = CliRunner().invoke(app, [*args, "--html", str(html), "--json", str(out_json)])
    assert result.exit_code == 0, result.output
    truth = pd.read_csv(files["truth"])
    pred = pd.read_csv(files["pred"])
    expected = kaggle_log_loss(
        truth[["winner_model_a", "winner_model_b", "winner_tie"]].to_numpy().argmax(axis=1),
        pred[["winner_model_a", "winner_model_b", "winner_tie"]].to_numpy(),
    )
    assert f"log loss {expected:.5f}" in result.output
    assert "position consistency: 100.00%" in result.output
    doc = json.loads(out_json.read_text())
    assert doc["parts"]["3-way"]["scores"]["log_loss"] == pytest.approx(expected)
    assert len(doc["verbosity"]) == 10
    page = html.read_text()
    for figure in ("reliability_3-way", "confusion_3-way", "position_3-way", "verbosity"):
        assert f'id="fig-{figure}"' in page
        assert (tmp_path / "page_figures" / f"{figure}.png").stat().st_size > 1000


def test_evaluate_without_swapped_predictions_says_why_position_is_missing(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["evaluate", str(files["pred"]), str(files["truth"])])
    assert result.exit_code == 0, result.output
    assert "needs predictions on the swapped battles" in result.output


def test_evaluate_names_the_row_and_field_of_a_bad_prediction(files: dict[str, Path], tmp_path: Path) -> None:
    bad = pd.read_csv(files["pred"], dtype={"winner_tie": str})
    bad.loc[6, "winner_tie"] = "abc"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "bad.csv"), str(files["truth"])])
    assert isinstance(result.exception, DataError)
    assert result.exception.row == 7 and result.exception.field == "winner_tie"


def test_evaluate_requires_a_prediction_for_every_truth_row(files: dict[str, Path], tmp_path: Path) -> None:
    pd.read_csv(files["pred"]).iloc[:-3].to_csv(tmp_path / "short.csv", index=False)
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "short.csv"), str(files["truth"])])
    assert isinstance(result.exception, DataError)
    assert "no prediction for 3 truth id(s)" in str(result.exception)


def test_evaluate_bad_input_exits_2_with_one_line_and_no_traceback(files: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("id,winner_model_a\n1,0.5\n")
    main = "import sys; from arenapref.cli import main; sys.argv[0] = 'arenapref'; main()"
    done = subprocess.run(
        [sys.executable, "-c", main, "evaluate", str(tmp_path / "empty.csv"), str(files["truth"])],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "missing column(s) ['winner_model_b', 'winner_tie']" in done.stderr
    assert "Traceback" not in done.stderr


def test_two_way_truth_is_scored_with_the_tie_folded_out(tmp_path: Path) -> None:
    from arenapref.evaluation.summary import evaluate

    battles = synthetic_battles("pairs", 50, tie_allowed=False)
    proba = np.tile([0.3, 0.5, 0.2], (50, 1))
    result = evaluate(battles, proba)
    part = result.parts["2-way"]
    assert "folded out" in result.notes[0]
    expected = -np.mean(np.where(battles["label"].to_numpy(int) == 1, np.log(0.625), np.log(0.375)))
    assert part.scores.log_loss == pytest.approx(expected)
    assert "3-way" not in result.parts


def test_evaluate_refuses_truth_without_labels(files: dict[str, Path], tmp_path: Path) -> None:
    battles = synthetic_battles("truth", 120, seed=5)
    battles["label"] = pd.array([pd.NA] * len(battles), dtype="Int8")
    test_csv = write_kaggle_train(battles, tmp_path / "test.csv")  # Kaggle test.csv: no winner columns
    result = CliRunner().invoke(app, ["evaluate", str(files["pred"]), str(test_csv)])
    assert isinstance(result.exception, DataError)
    assert "no labelled battle" in str(result.exception)
