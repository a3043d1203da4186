"""`arenapref calibrate` and the `calibrated` model: a fast model trained on Auto-J moved to vicuna80 with a small
labelled sample (or a tie rate), its refusals, exact mirror symmetry, the directory's record, every reader of a
model directory (predict, explain, serve, the Kaggle kit's runtime), `predict --tie-rate`, and the benchmark's
transfer-calibrated protocol on small synthetic sets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from scipy.optimize import minimize_scalar

from arenapref.data.io import read_battles, write_battles
from arenapref.data.schema import SOFT_COLUMNS, training_rows
from arenapref.data.swap import swap, swap_proba
from arenapref.evaluation.bench import BenchConfig, run_bench
from arenapref.evaluation.render import markdown
from arenapref.evaluation.transfer_calibrated import DRAWS
from arenapref.kaggle.modelcopy import copy_model, directory_extra
from arenapref.kaggle.runtime import make_submission
from arenapref.models import registry
from arenapref.models.base import PreferenceModel
from arenapref.models.calibrated.family import Calibration, CalibrationInputs
from arenapref.models.calibrated.fit import STRENGTH, Sample, SampleTooSmall, fit_calibration, penalty
from arenapref.models.calibrated.model import CALIBRATION_CHANGED, CALIBRATION_REASON, CalibratedModel
from arenapref.models.model_dir import training_data_hash
from arenapref.serve.app import create_app
from cli_support import run_cli
from eval_support import synthetic_battles, write_sets
from serve_support import DATA, small_fast_model_dir

VICUNA = DATA / "vicuna80" / "vicuna80_human_pairwise.jsonl"


@pytest.fixture(scope="module")
def base_dir() -> Path:
    """A fast model trained on 400 Auto-J battles (27 % ties): about 29 % ties predicted on vicuna80 (4.8 %)."""
    return small_fast_model_dir()


@pytest.fixture(scope="module")
def vicuna() -> pd.DataFrame:
    battles, _ = read_battles(VICUNA)
    return battles[battles["label"].notna()].sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def files(vicuna: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample (120 labelled battles, soft labels: the vote shares), the rest (60, labels unused), 3 battles."""
    folder = tmp_path_factory.mktemp("calibrate")
    parts = {"sample": vicuna.iloc[:120], "rest": vicuna.iloc[120:180], "three": vicuna.iloc[:3]}
    out = {}
    for name, part in parts.items():
        write_battles(part, folder / f"{name}.parquet")
        out[name] = folder / f"{name}.parquet"
    return out


@pytest.fixture(scope="module")
def calibrated_dir(base_dir: Path, files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("calibrated") / "model"
    code, text = run_cli("calibrate", base_dir, files["sample"], "-o", out)
    assert code == 0, text
    return out


def hard(battles: pd.DataFrame) -> pd.DataFrame:
    """The battles with their hard labels as the only targets."""
    out = battles.copy()
    out[list(SOFT_COLUMNS)] = np.nan
    return out


def test_a_sample_with_no_ties_makes_the_model_predict_fewer_ties(base_dir: Path, vicuna: pd.DataFrame) -> None:
    sample = hard(vicuna[vicuna["label"] != 2].iloc[:100])
    rest = vicuna.iloc[200:300]
    model = CalibratedModel.wrapping(base_dir).fit(sample)
    assert model.result is not None and model.result.cv.after < model.result.cv.before
    assert model.calibration.tie_offset < 0 and np.isfinite(model.calibration.tie_offset)  # the penalty holds it
    before = registry.load(base_dir).predict_proba(rest)[:, 2].mean()
    after = model.predict_proba(rest)[:, 2].mean()
    assert after < before / 2


def test_a_sample_of_three_battles_is_refused_with_its_reason(
    base_dir: Path, vicuna: pd.DataFrame, files: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(SampleTooSmall, match="3 labelled battles with 3 distinct prompts; calibration needs"):
        CalibratedModel.wrapping(base_dir).fit(vicuna.iloc[:3])
    code, text = run_cli("calibrate", base_dir, files["three"], "-o", tmp_path / "out")
    assert code == 2 and not (tmp_path / "out").exists()
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "at least 20 battles and 10 prompts" in errors[0] and "nothing written" in errors[0]
    assert "Traceback" not in text


class _Leaning(PreferenceModel):
    """Prefers whichever answer is in position A, more so for longer ones: not position symmetric."""

    name = "test-leaning"

    def fit(self, battles: pd.DataFrame) -> _Leaning:
        return self

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        length = battles["response_a"].map(lambda turns: len(" ".join(t or "" for t in turns))).to_numpy()
        p_a = 0.3 + 0.4 * np.tanh(length / 500)
        return np.column_stack([p_a, 0.8 - p_a, np.full(len(battles), 0.2)])

    def get_state(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> _Leaning:
        return cls()


def test_calibration_keeps_exact_mirror_symmetry(base_dir: Path, vicuna: pd.DataFrame) -> None:
    battles = vicuna.iloc[300:360].reset_index(drop=True)
    fitted = CalibratedModel.wrapping(base_dir, what=["all"]).fit(hard(vicuna.iloc[:150]))
    assert fitted.calibration.length_weight != 0
    leaning = CalibratedModel(_Leaning(), calibration=Calibration(0.7, 0.6, 0.8, -1.3))
    for model in (fitted, leaning):
        p, p_swapped = model.predict_proba(battles), model.predict_proba(swap(battles))
        np.testing.assert_array_equal(p, swap_proba(p_swapped))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_the_directory_records_the_sample_and_every_reader_loads_it(
    calibrated_dir: Path, base_dir: Path, files: dict[str, Path], tmp_path: Path
) -> None:
    meta = json.loads((calibrated_dir / "model.json").read_text())
    state, record = meta["state"], meta["state"]["record"]
    sample, _ = training_rows(read_battles(files["sample"])[0])
    assert meta["model"] == "calibrated" and meta["sample_files"] == [str(files["sample"])]
    assert record["sample"]["sha256"] == training_data_hash(sample) and record["sample"]["rows"] == 120
    assert record["cv"]["after"] < record["cv"]["before"] and record["fitted"] == [
        "direction_scale",
        "tie_scale",
        "tie_offset",
    ]
    assert set(record["changed"]) <= set(record["fitted"]) and record["changed"]["tie_offset"]["to"] < 0
    assert state["wrapped_model"] == "fast" and state["identity"] == Calibration().to_dict()
    assert (calibrated_dir / "wrapped" / "model.json").read_bytes() == (base_dir / "model.json").read_bytes()
    assert not list(calibrated_dir.parent.glob(".model.tmp-*"))  # written whole, through a hidden sibling

    rest, _ = read_battles(files["rest"])
    model = registry.load(calibrated_dir)
    expected = model.predict_proba(rest)
    code, text = run_cli("predict", calibrated_dir, files["rest"], "-o", tmp_path / "sub.csv")
    assert code == 0, text
    sub = pd.read_csv(tmp_path / "sub.csv")
    np.testing.assert_allclose(sub[["winner_model_a", "winner_model_b", "winner_tie"]], expected, atol=1e-6)

    code, text = run_cli("explain", calibrated_dir, files["rest"], "--id", rest["id"].iloc[0], "--raw")
    assert code == 0 and "features that pushed the verdict" in text
    assert CALIBRATION_REASON in text or CALIBRATION_CHANGED in text

    client = TestClient(create_app(calibrated_dir))
    row = rest.iloc[0]
    body = {k: list(row[k]) for k in ("prompt", "response_a", "response_b")}
    got = client.post("/v1/predict", json=body).json()
    np.testing.assert_allclose([got["p_a"], got["p_b"], got["p_tie"]], expected[0], atol=1e-9)
    assert client.get("/v1/model").json()["name"] == "calibrated"


def test_the_calibrate_command_prints_the_cross_validation(
    base_dir: Path, files: dict[str, Path], tmp_path: Path
) -> None:
    code, text = run_cli("calibrate", base_dir, files["sample"], "-o", tmp_path / "m", "--what", "ties")
    assert code == 0, text
    assert "cross-validated log loss on the sample (5 folds by prompt): before " in text
    assert "fitted (tie_offset): tie_offset 0 -> -" in text and "mean P(tie) on the sample: 0.2" in text


def test_a_calibration_the_cross_validation_calls_worse_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    """The sample's own class prior, fit on all of it, beats any offset fit on 4/5 of it on the fifth held out."""
    code, text = run_cli("train", files["sample"], "--model", "prior", "-o", tmp_path / "prior")
    assert code == 0, text
    code, text = run_cli("calibrate", tmp_path / "prior", files["sample"], "-o", tmp_path / "out", "--what", "ties")
    assert code == 2 and not (tmp_path / "out").exists()
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "calibration refused" in errors[0] and "nothing written" in errors[0]
    assert "cross-validated log loss on the sample" in text


def test_command_line_errors_exit_2_in_one_line(base_dir: Path, files: dict[str, Path], tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("x")
    cases = [
        (("calibrate", base_dir, files["sample"], "-o", taken), "exists and is not an empty folder"),
        (("calibrate", base_dir, "-o", tmp_path / "a", "--tie-rate", "0.1"), "--tie-rate needs battles"),
        (("calibrate", tmp_path / "nowhere", files["sample"], "-o", tmp_path / "b"), "not a model directory"),
        (("calibrate", base_dir, tmp_path / "missing.csv", "-o", tmp_path / "c"), "no such file"),
        (("train", files["sample"], "--model", "calibrated", "-o", tmp_path / "f"), "wraps a trained model"),
    ]
    for args, message in cases:
        code, text = run_cli(*args)
        assert code == 2 and message in text and "Traceback" not in text, text
        assert sum(line.startswith("error:") for line in text.splitlines()) == 1
    for args in (
        ("calibrate", base_dir, files["sample"], "-o", tmp_path / "d", "--what", "colour"),
        ("calibrate", base_dir, files["sample"], "-o", tmp_path / "e", "--tie-rate", "1.5"),
        ("predict", base_dir, files["rest"], "-o", tmp_path / "s.csv", "--tie-rate", "0"),
    ):
        code, text = run_cli(*args)
        assert code == 2 and "Traceback" not in text
    assert not any((tmp_path / n).exists() for n in "abcdef")


def test_a_tie_rate_without_labels(base_dir: Path, files: dict[str, Path], tmp_path: Path) -> None:
    code, text = run_cli("calibrate", base_dir, files["rest"], "--tie-rate", "0.05", "-o", tmp_path / "m")
    assert code == 0 and "-> 0.0500" in text, text
    rest, _ = read_battles(files["rest"])
    model = registry.load(tmp_path / "m")
    assert model.predict_proba(rest)[:, 2].mean() == pytest.approx(0.05, abs=1e-8)
    assert json.loads((tmp_path / "m" / "model.json").read_text())["state"]["record"]["method"] == "tie_rate"

    code, text = run_cli("predict", base_dir, files["rest"], "--tie-rate", "0.05", "-o", tmp_path / "s.csv")
    assert code == 0 and "--tie-rate: mean P(tie) over 60 battles 0.2" in text, text
    sub = pd.read_csv(tmp_path / "s.csv")
    plain = registry.load(base_dir).predict_proba(rest)
    assert sub["winner_tie"].mean() == pytest.approx(0.05, abs=1e-6)
    ratio = sub["winner_model_a"] / (sub["winner_model_a"] + sub["winner_model_b"])
    np.testing.assert_allclose(ratio, plain[:, 0] / plain[:, :2].sum(axis=1), atol=1e-6)  # direction kept


def test_the_kaggle_kit_copies_and_runs_the_calibrated_directory(
    calibrated_dir: Path, files: dict[str, Path], tmp_path: Path
) -> None:
    """The kit's cheap parts: model/ copied with every nested hash checked, the core install (no torch) chosen,
    and the notebook's predict step (no swap TTA: the wrapper averages both orders). The full pack and offline
    check: test_calibrated_kit_round_trip (slow)."""
    meta, checked, carried = copy_model(calibrated_dir, tmp_path / "model")
    assert meta["model"] == "calibrated" and checked >= 3 and carried == []
    assert directory_extra(calibrated_dir) is None
    test_csv = tmp_path / "test.csv"
    rest, _ = read_battles(files["rest"])
    pd.DataFrame(
        {
            "id": rest["id"],
            "prompt": rest["prompt"].map(lambda t: json.dumps(list(t))),
            "response_a": rest["response_a"].map(lambda t: json.dumps(list(t))),
            "response_b": rest["response_b"].map(lambda t: json.dumps(list(t))),
        }
    ).to_csv(test_csv, index=False)
    result = make_submission(tmp_path / "model", test_csv, tmp_path / "submission.csv")
    assert result["rows"] == 60 and result["tta"] is False
    sub = pd.read_csv(tmp_path / "submission.csv")
    np.testing.assert_allclose(sub[["winner_model_a", "winner_model_b", "winner_tie"]].sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.slow
def test_calibrated_kit_round_trip(calibrated_dir: Path, files: dict[str, Path], tmp_path: Path) -> None:
    """`kaggle pack` then `kaggle check` (fresh venv, wheels only, network off) on the calibrated directory."""
    raw = pd.read_csv(DATA / "kaggle-sample" / "train.csv")
    test_csv = tmp_path / "test.csv"
    raw.drop(columns=["model_a", "model_b", "winner_model_a", "winner_model_b", "winner_tie"]).to_csv(
        test_csv, index=False
    )
    code, text = run_cli("kaggle", "pack", calibrated_dir, "-o", tmp_path / "kit")
    assert code == 0, text
    manifest = json.loads((tmp_path / "kit" / "MANIFEST.json").read_text())
    assert manifest["model"]["type"] == "calibrated" and manifest["extra"] is None
    assert "model/wrapped/model.json" in {r["path"] for r in manifest["files"]}
    code, text = run_cli("kaggle", "check", tmp_path / "kit", "--test", test_csv, "--work", tmp_path / "work")
    assert code == 0, text
    assert "submission valid: 100 rows, all 100 test ids" in text


def test_the_bench_runs_the_transfer_calibrated_protocol(tmp_path: Path) -> None:
    sets = write_sets(
        tmp_path / "data",
        {
            "autoj": synthetic_battles("autoj", 240, seed=1, n_prompts=120),
            "hhh": synthetic_battles("hhh", 220, seed=2, tie_allowed=False),
            "tulu1": synthetic_battles("tulu1", 210, seed=3),
        },
    )
    config = BenchConfig(sets, ["longer_wins"], quick=True, protocols=("transfer-calibrated",))
    result = run_bench(config)
    assert not result.rows  # only the calibrated table: no in-domain or plain transfer rows asked for
    rows = {(r.set_name, r.k): r for r in result.calibrated}
    assert set(rows) == {(s, k) for s in ("autoj", "hhh", "tulu1") for k in (25, 50, 100)}  # k <= half the set
    for row in rows.values():
        assert row.model == "longer_wins" and row.draws == DRAWS and 0 < row.n_rest < 240 - row.k + 1
        assert set(row.log_loss) == {"transfer", "prior", "calibrated"}
    assert rows[("hhh", 25)].classes == 2 and rows[("hhh", 25)].log_loss["prior"] == pytest.approx(np.log(2))
    text = markdown(result)
    assert "transfer-calibrated" in text and "| hhh | 2 | longer_wins | 100 | 20 |" in text
    code, out = run_cli("bench", "--data", sets, "--protocols", "nope", "--no-cache", "--out", tmp_path / "o")
    assert code == 2 and "unknown protocol(s) nope" in out


def test_a_damaged_directory_is_refused_on_load(calibrated_dir: Path, files: dict[str, Path], tmp_path: Path) -> None:
    for damage, message in (
        (lambda m: m["state"]["calibration"].update(direction_scale=-1.0), "negative scale"),
        (lambda m: m["state"].update(wrapped_dir=".."), "inside the model directory"),
    ):
        copy = tmp_path / f"copy{len(list(tmp_path.iterdir()))}"
        shutil.copytree(calibrated_dir, copy)
        meta = json.loads((copy / "model.json").read_text())
        damage(meta)
        (copy / "model.json").write_text(json.dumps(meta))
        code, text = run_cli("predict", copy, files["rest"], "-o", tmp_path / "s.csv")
        assert code == 2 and message in text and "Traceback" not in text, text


def _two_way_sample(direction: np.ndarray, a_wins: np.ndarray) -> Sample:
    """A 2-way sample whose model direction log-odds are `direction` and whose hard labels are `a_wins`."""
    n = len(direction)
    inputs = CalibrationInputs(direction, np.zeros(n), np.zeros(n))
    target = np.column_stack([a_wins, ~a_wins, np.zeros(n)]).astype(float)
    return Sample(pd.DataFrame({"prompt": [f"p{i}" for i in range(n)]}), inputs, target, np.zeros(n, dtype=bool))


def test_the_direction_scale_is_pulled_to_the_anchor_the_sample_supports() -> None:
    """Labels that follow the model keep a near 1. Labels that ignore it leave a near their maximum-likelihood
    value (near 0, the class prior), where a single pull toward the model would hold it well above: the prior on
    a is a mixture anchored at 1 and at 0."""
    rng = np.random.default_rng(0)
    direction = rng.normal(0.0, 1.0, 100)
    follows = rng.random(100) < 1 / (1 + np.exp(-direction))
    noise = _two_way_sample(direction, rng.random(100) < 0.5)
    assert fit_calibration(_two_way_sample(direction, follows), ("direction_scale",), STRENGTH).direction_scale > 0.7

    def fit_one(pull: float) -> float:
        loss = lambda a: noise.losses(Calibration(direction_scale=a)).sum() + pull * (a - 1) ** 2  # noqa: E731
        return float(minimize_scalar(loss, bounds=(0, 5), method="bounded").x)

    mle, one_anchor = fit_one(0.0), fit_one(STRENGTH)
    two_anchors = fit_calibration(noise, ("direction_scale",), STRENGTH).direction_scale
    assert mle < 0.3 and abs(two_anchors - mle) < 0.25 * (one_anchor - mle)


def test_the_prior_gradient_matches_its_finite_differences() -> None:
    theta, fitted = np.array([0.4, 0.3, 1.2, -0.5]), np.array([True, True, True, True])
    value, grad = penalty(theta, fitted, STRENGTH)
    step = 1e-6
    numeric = [
        (penalty(theta + step * e, fitted, STRENGTH)[0] - penalty(theta - step * e, fitted, STRENGTH)[0]) / (2 * step)
        for e in np.eye(4)
    ]
    assert value > 0 and np.allclose(grad, numeric, atol=1e-6)
