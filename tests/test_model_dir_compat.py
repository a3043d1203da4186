"""Model directories saved by older code (tests/fixtures/model_dirs, written at the commit in its BUILT.json by
tests/fixtures/build_model_dirs.py) still load and predict what they predicted when they were saved."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from arenapref.data.io import read_battles
from arenapref.models.registry import load

FIXTURE = Path(__file__).parent / "fixtures" / "model_dirs"
SAVED = sorted(p.parent for p in FIXTURE.glob("*/model.json"))


def test_the_fixture_covers_every_offline_family() -> None:
    assert {p.name for p in SAVED} == {"prior", "longer_wins", "fast", "fast-multiclass", "embed", "embed-mlp"}
    assert len(json.loads((FIXTURE / "BUILT.json").read_text())["commit"]) == 40


@pytest.mark.parametrize("directory", SAVED, ids=[p.name for p in SAVED])
def test_a_saved_directory_loads_and_predicts_as_saved(directory: Path, data_dir: Path) -> None:
    built = json.loads((FIXTURE / "BUILT.json").read_text())
    battles, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")
    test = battles.iloc[built["train_rows"] :]
    expected = np.loadtxt(FIXTURE / f"{directory.name}.proba.txt")
    proba = load(directory).predict_proba(test)
    # 1e-6: embed-mlp's float32 network may round differently on another CPU
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-6)
