"""`arenapref kaggle pack / check`: the fast model packed with its wheels (pip, for Kaggle's Python and platform),
installed into a fresh venv with --no-index and run as a headless notebook with the network really off.

The nn tier's kit: test_kaggle_kit_nn.py (a cross-encoder end to end) and test_kaggle_portable.py (LoRA base)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.io import read_battles
from arenapref.data.schema import LABEL_NAMES
from arenapref.kaggle.errors import KitError
from arenapref.kaggle.offline import pypi_reachable
from arenapref.kaggle.validate import validate_submission
from arenapref.models import registry
from cli_support import run_cli as run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kaggle") / "fast"
    code, text = run("train", data_dir / "kaggle-sample" / "train.csv", data_dir / "hhh", "--model", "fast", "-o", out)
    assert code == 0, text
    return out


@pytest.fixture(scope="module")
def test_csv(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kaggle's test.csv shape: the sample's 100 battles without labels and model names."""
    raw = pd.read_csv(data_dir / "kaggle-sample" / "train.csv")
    path = tmp_path_factory.mktemp("kaggle") / "test.csv"
    raw.drop(columns=["model_a", "model_b", *LABEL_NAMES]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def kit(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kaggle") / "kit"
    code, text = run("kaggle", "pack", model_dir, "-o", out)
    assert code == 0, text
    assert "packed fast model" in text and "MiB in all; install: arenapref==0.1.0" in text
    return out


def test_pack_lists_every_file_with_its_hash_and_the_wheels_for_kaggles_python(kit: Path, model_dir: Path) -> None:
    manifest = json.loads((kit / "MANIFEST.json").read_text())
    assert manifest["install"] == "arenapref==0.1.0" and manifest["extra"] is None and manifest["left_out"] == []
    assert manifest["target"]["python"] == "3.11" and "manylinux2014_x86_64" in manifest["target"]["platforms"]
    assert manifest["model"]["recorded_hashes_checked"] >= 2  # feature settings + boosters
    listed = {r["path"] for r in manifest["files"]}
    on_disk = {p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file()} - {"MANIFEST.json"}
    assert listed == on_disk and {"submit.ipynb", "submit.py", "model/model.json"} <= listed
    wheels = {p["name"] for p in manifest["packages"]}
    assert {"arenapref", "lightgbm", "numpy", "pandas", "pyarrow", "scikit-learn"} <= wheels and "torch" not in wheels
    assert all(p.name.endswith(".whl") for p in (kit / "wheels").iterdir())
    assert (kit / "model" / "model.json").read_bytes() == (model_dir / "model.json").read_bytes()
    assert manifest["total_bytes"] == sum(r["bytes"] for r in manifest["files"])


def test_check_installs_offline_runs_the_notebook_and_validates_all_ids(
    kit: Path, model_dir: Path, test_csv: Path, tmp_path: Path
) -> None:
    code, text = run("kaggle", "check", kit, "--test", test_csv, "--work", tmp_path)
    assert code == 0, text
    assert "submission valid: 100 rows, all 100 test ids" in text
    report = json.loads((tmp_path / "result" / "check.json").read_text())
    # The run had no network: only the loopback interface (down), and pip could not reach PyPI from the kernel,
    # which it can from here (the probe's positive control).
    assert report["probe"]["interfaces"] == ["lo"] and report["probe"]["pypi_reachable"] is False
    assert pypi_reachable(sys.executable)
    assert report["probe"]["arenapref"].startswith(str(tmp_path / "venv"))
    assert report["timing"]["rows"] == 100 and report["timing"]["projected_rows"] == 25_000
    # The notebook's predictions are the model's own.
    submission = pd.read_csv(tmp_path / "result" / "submission.csv", dtype={"id": str})
    battles, _ = read_battles(test_csv)
    expected = registry.load(model_dir).predict_proba(battles)
    assert submission["id"].tolist() == battles["id"].astype(str).tolist()
    np.testing.assert_allclose(submission[list(LABEL_NAMES)].to_numpy(), expected, rtol=1e-6, atol=1e-9)
    outputs = json.loads((tmp_path / "result" / "executed.ipynb").read_text())["cells"]
    printed = "".join("".join(o.get("text", "")) for c in outputs for o in c.get("outputs", []))
    assert "installed arenapref==0.1.0" in printed and "projected for 25,000 rows" in printed


def test_a_kit_leaving_a_package_to_the_image_checks_with_image_wheels(
    kit: Path, model_dir: Path, test_csv: Path, tmp_path: Path
) -> None:
    slim = tmp_path / "slim"
    code, text = run(
        "kaggle",
        "pack",
        model_dir,
        "-o",
        slim,
        "--leave-out",
        "lightgbm",
        "--wheel",
        next((kit / "wheels").glob("arenapref-*.whl")),
    )
    assert code == 0, text
    assert "left to Kaggle's image: lightgbm" in text
    assert not list((slim / "wheels").glob("lightgbm-*"))
    code, text = run("kaggle", "check", slim, "--test", test_csv)
    assert code == 2 and "leaves lightgbm==" in text and "--image-wheels" in text
    image = tmp_path / "image"
    image.mkdir()
    shutil.copy2(next((kit / "wheels").glob("lightgbm-*.whl")), image)
    code, text = run("kaggle", "check", slim, "--test", test_csv, "--image-wheels", image)
    assert code == 0, text
    assert "all 100 test ids" in text


def test_submit_script_writes_the_submission_beside_the_kit(kit: Path, test_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "submission.csv"
    command = [sys.executable, str(kit / "submit.py"), "--no-install", "--test", str(test_csv), "--output", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "projected for 25,000 rows" in done.stdout
    assert validate_submission(out, test_csv) == {"rows": 100, "ids": 100}


def test_pack_refuses_a_model_whose_files_changed(model_dir: Path, tmp_path: Path) -> None:
    changed = tmp_path / "model"
    shutil.copytree(model_dir, changed)
    booster = next(changed.glob("*.lgb.txt"))
    booster.write_text(booster.read_text() + "\n")
    code, text = run("kaggle", "pack", changed, "-o", tmp_path / "kit")
    assert code == 2 and "SHA-256 mismatch" in text and booster.name in text
    assert not (tmp_path / "kit").exists()  # no half-built kit left behind


def test_check_refuses_a_kit_built_for_another_python(kit: Path, test_csv: Path, tmp_path: Path) -> None:
    other = tmp_path / "kit"
    other.mkdir()
    manifest = json.loads((kit / "MANIFEST.json").read_text())
    manifest.update(files=[], target={**manifest["target"], "python": "3.9"})
    (other / "MANIFEST.json").write_text(json.dumps(manifest))
    code, text = run("kaggle", "check", other, "--test", test_csv)
    assert code == 2 and "built for Python 3.9; run the check with a Python 3.9 interpreter" in text


def test_check_refuses_a_kit_whose_wheels_changed(kit: Path, test_csv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "kit"
    shutil.copytree(kit, copy, ignore=shutil.ignore_patterns("*.whl"))
    code, text = run("kaggle", "check", copy, "--test", test_csv)
    assert code == 2 and "is listed in MANIFEST.json but missing" in text


def test_validation_names_the_problem(test_csv: Path, tmp_path: Path) -> None:
    ids = pd.read_csv(test_csv, usecols=["id"], dtype=str)["id"]
    good = pd.DataFrame({"id": ids, "winner_model_a": 0.5, "winner_model_b": 0.3, "winner_tie": 0.2})
    path = tmp_path / "s.csv"
    good.to_csv(path, index=False)
    assert validate_submission(path, test_csv) == {"rows": 100, "ids": 100}
    cases = {
        "2 test ids missing": good.iloc[2:],
        "appears twice": pd.concat([good, good.iloc[:1]]),
        "row 5: probabilities sum to": good.assign(winner_tie=[0.2] * 3 + [0.9] + [0.2] * 96),
        "row 2: field winner_model_a: -0.1": good.assign(winner_model_a=[-0.1] + [0.5] * 99),
        "columns": good.drop(columns="winner_tie"),
    }
    for message, frame in cases.items():
        frame.to_csv(path, index=False)
        with pytest.raises(KitError, match=message):
            validate_submission(path, test_csv)
