"""Recipes: the files in configs/recipes/ validate (fields, model, options), bad recipes stop with one line naming
the field, and a small recipe runs end to end (k folds, out-of-fold predictions, distillation from a predictions
file, pseudo-labels with the leakage guard)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from arenapref.data.errors import DataError
from arenapref.data.io import read_battles
from arenapref.data.submission import write_submission
from arenapref.models import registry
from arenapref.pipeline.recipes import Recipe, load_recipe
from cli_support import run_cli as run

RECIPES = Path(__file__).parents[1] / "configs" / "recipes"


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.stem)
def test_recipe_files_validate(path: Path) -> None:
    recipe = Recipe.model_validate(yaml.safe_load(path.read_text()))
    assert recipe.name == path.stem
    if registry.model_class(recipe.model) is None:
        pytest.skip(f"model {recipe.model!r} is registered by the fine-tuning branch; schema checked only")
    assert load_recipe(path).model == recipe.model  # model exists and takes the options


def test_winners_recipe_has_the_winners_setting() -> None:
    recipe = Recipe.model_validate(yaml.safe_load((RECIPES / "winners-gemma2-9b.yaml").read_text()))
    assert "gemma-2-9b" in recipe.options["backbone"] and recipe.options["lora_targets"] == "all-linear"
    assert recipe.folds == 5 and recipe.average == "adapters" and recipe.tta and recipe.distillation is not None
    assert recipe.accelerate_config and (RECIPES.parents[1] / recipe.accelerate_config).is_file()


def test_bad_recipes_name_the_field(tmp_path: Path) -> None:
    base = {"name": "x", "model": "fast", "data": ["a.csv"]}
    cases = [
        ({**base, "fold": 5}, "field 'fold'"),
        ({**base, "folds": 0}, "field 'folds'"),
        ({**base, "average": "adapters"}, "average needs folds >= 2"),
        ({**base, "options": {"lr": 1}}, "model 'fast' takes no options"),
        ({**base, "model": "nope"}, "unknown model 'nope'"),
        ({**base, "distillation": {"teacher": "t.csv", "temperature": 2.0}}, "temperature 1 only"),
    ]
    for i, (data, message) in enumerate(cases):
        path = tmp_path / f"r{i}.json"
        path.write_text(json.dumps(data))
        with pytest.raises(DataError, match=message):
            load_recipe(path)
    code, text = run("train", "--config", tmp_path / "r0.json", "--check")
    assert code == 2 and "r0.json, field 'fold'" in text and "Traceback" not in text
    code, text = run("train", "--config", RECIPES / "cpu-fast.yaml", "--check")
    assert code == 0 and "valid recipe 'cpu-fast'" in text


def test_recipe_runs_folds_with_teacher_and_pseudo_labels(data_dir: Path, tmp_path: Path) -> None:
    sample_path = data_dir / "kaggle-sample" / "train.csv"
    sample, _ = read_battles(sample_path)
    teacher = np.random.default_rng(0).dirichlet([2, 2, 1], size=len(sample))
    write_submission(sample["id"], teacher, tmp_path / "teacher.csv")
    pool = sample.iloc[:30].assign(label=pd.NA, id=[f"pool-{i}" for i in range(30)])  # prompts shared with the data
    pool.to_parquet(tmp_path / "pool.parquet")
    write_submission(pool["id"], teacher[:30], tmp_path / "pool-teacher.csv")
    recipe = {
        "name": "tiny",
        "model": "fast",
        "data": [str(sample_path)],
        "folds": 2,
        "distillation": {"teacher": str(tmp_path / "teacher.csv"), "alpha": 0.5},
        "pseudo_labels": {"pool": [str(tmp_path / "pool.parquet")], "teacher": str(tmp_path / "pool-teacher.csv")},
    }
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(recipe))
    code, text = run("train", "--config", tmp_path / "tiny.yaml", "-o", tmp_path / "run")
    assert code == 0, text
    assert "kept 30 of 30 battles" in text and "recipe tiny done" in text
    folds = json.loads((tmp_path / "run" / "folds.json").read_text())["folds"]
    assert len(folds) == 2 and sum(f["held_out"] for f in folds) == 100
    for fold in folds:  # each pool battle shares its prompt with one data battle: dropped where that one is held out
        assert fold["extra"] + fold["extra_dropped"] == 30 and fold["extra_dropped"] > 0
    assert sum(f["extra_dropped"] for f in folds) == 30
    oof = pd.read_csv(tmp_path / "run" / "oof.csv", dtype={"id": str})
    assert list(oof["id"]) == list(sample["id"])
    np.testing.assert_allclose(oof.iloc[:, 1:].sum(axis=1), 1.0)
    for i in range(2):
        assert registry.load(tmp_path / "run" / f"fold-{i}").predict_proba(sample.head(3)).shape == (3, 3)
    written = pd.read_parquet(tmp_path / "run" / "pseudo.parquet")
    np.testing.assert_allclose(written[["soft_a", "soft_b", "soft_tie"]].to_numpy(), teacher[:30])
