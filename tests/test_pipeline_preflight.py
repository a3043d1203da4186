"""Every check a training run can make without training, made before anything is written, and by `train --check`
(issue 24 items 10 and 12): folds beyond what the data allows, unreadable recipes, missing data, teachers and
accelerate configs, fold averaging for a model without fold weights. And `pseudo-label`'s output (item 13): the
format its suffix names, never an input file or a folder, a missing teacher named as such."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from arenapref.data.errors import DataError
from arenapref.data.folds import grouped_folds
from arenapref.data.io import read_battles, write_battles
from arenapref.models import registry
from cli_support import run_cli as run


@pytest.fixture(scope="module")
def rows50(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("preflight") / "train50.csv"
    pd.read_csv(data_dir / "kaggle-sample" / "train.csv").head(50).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def teacher_dir(rows50: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    battles, _ = read_battles(rows50)
    return registry.create("prior").fit(battles).save(tmp_path_factory.mktemp("preflight") / "teacher")


def one_line_error(code: int, text: str) -> None:
    assert code == 2, text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text


@pytest.mark.parametrize("folds", ["1000", "30"])
def test_too_many_folds_exit_2_before_anything_is_written(folds: str, rows50: Path, tmp_path: Path) -> None:
    code, text = run("train", rows50, "--folds", folds, "-o", tmp_path / "run")
    one_line_error(code, text)
    assert "field 'folds'" in text and f"allow at most 20 folds, not {int(folds):,}" in text
    assert not (tmp_path / "run").exists()  # no recipe.json left behind
    code, text = run("train", rows50, "--folds", folds, "--check")
    one_line_error(code, text)


def test_max_folds_is_what_the_splitter_can_make(rows50: Path) -> None:
    from arenapref.data.folds import max_folds

    battles, _ = read_battles(rows50)
    limit = max_folds(battles)
    assert limit == 20 and len(list(grouped_folds(battles, limit))) == limit
    with pytest.raises(ValueError, match="allow at most 20 folds, not 21"):
        next(grouped_folds(battles, limit + 1))


def _recipe(tmp_path: Path, name: str, **fields: object) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "model": "fast", **fields}))
    return path


def test_a_recipe_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xff\xfename: x\nmodel: fast\n")
    code, text = run("train", "--config", path, "--check")
    one_line_error(code, text)
    assert f"{path}: not UTF-8 text" in text


def _bad_recipes(rows50: Path, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    data = [str(rows50)]
    return {
        "missing data file": (_recipe(tmp_path, "a", data=[str(tmp_path / "nope.csv")]), "nope.csv: no such file"),
        "missing teacher": (
            _recipe(tmp_path, "b", data=data, distillation={"teacher": str(tmp_path / "runs/none")}),
            "field 'distillation.teacher'",
        ),
        "missing pool teacher": (
            _recipe(tmp_path, "c", data=data, pseudo_labels={"pool": data, "teacher": str(tmp_path / "t.csv")}),
            "field 'pseudo_labels.teacher'",
        ),
        "average for the fast model": (
            _recipe(tmp_path, "d", data=data, folds=2, average="adapters"),
            "field 'average': model 'fast' has no fold weights to average",
        ),
        "missing accelerate config": (
            _recipe(tmp_path, "e", data=data, accelerate_config=str(tmp_path / "none.yaml")),
            "field 'accelerate_config'",
        ),
        "too many folds": (_recipe(tmp_path, "f", data=data, folds=40), "field 'folds'"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing data file",
        "missing teacher",
        "missing pool teacher",
        "average for the fast model",
        "missing accelerate config",
        "too many folds",
    ],
)
def test_check_finds_what_the_run_would_fail_on_and_the_run_fails_before_writing(
    case: str, rows50: Path, tmp_path: Path
) -> None:
    recipe, message = _bad_recipes(rows50, tmp_path)[case]
    code, text = run("train", "--config", recipe, "--check")
    one_line_error(code, text)
    assert message in text and "valid recipe" not in text
    code, text = run("train", "--config", recipe, "-o", tmp_path / "run")
    one_line_error(code, text)
    assert message in text and not (tmp_path / "run").exists()


def test_check_reads_the_data_teacher_and_pool(rows50: Path, teacher_dir: Path, tmp_path: Path) -> None:
    teacher = tmp_path / "teacher"
    shutil.copytree(teacher_dir, teacher)
    recipe = _recipe(
        tmp_path, "ok", data=[str(rows50)], folds=3, distillation={"teacher": str(teacher)},
        pseudo_labels={"pool": [str(rows50)], "max_rows": 10},
    )  # fmt: skip
    code, text = run("train", "--config", recipe, "--check")
    assert code == 0, text
    assert "valid recipe 'ok' (model fast; 50 battles read; 3 folds" in text and "pool of 10 battles" in text
    (teacher / "model.json").write_text("{}")  # a teacher folder that is no model: found by --check
    code, text = run("train", "--config", recipe, "--check")
    one_line_error(code, text)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl", ".json"])
def test_write_battles_writes_the_format_its_suffix_names_and_reads_back(
    suffix: str, rows50: Path, tmp_path: Path
) -> None:
    battles, _ = read_battles(rows50)
    battles = battles.assign(soft_a=0.5, soft_b=0.25, soft_tie=0.25)
    write_battles(battles, tmp_path / f"b{suffix}")
    data = (tmp_path / f"b{suffix}").read_bytes()
    assert data.startswith(b"PAR1") == (suffix == ".parquet")
    back, report = read_battles(tmp_path / f"b{suffix}")
    assert report.format == "battles" and len(back) == 50 and report.rows_dropped == 0
    assert back["soft_a"].tolist() == [0.5] * 50 and back["prompt"].tolist() == battles["prompt"].tolist()
    with pytest.raises(DataError, match=r"cannot tell the output format from '\.txt'"):
        write_battles(battles, tmp_path / "b.txt")


def test_pseudo_label_output_is_checked_before_any_work(rows50: Path, teacher_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    data.write_bytes(rows50.read_bytes())
    (tmp_path / "folder").mkdir()
    for out, message in [
        (tmp_path / "folder", "is a folder"),
        (data, "is also the input file"),
        (tmp_path / "x.txt", "cannot tell the output format"),
    ]:
        code, text = run("pseudo-label", teacher_dir, data, "-o", out)
        one_line_error(code, text)
        assert message in text
    assert data.read_bytes() == rows50.read_bytes()  # the input is intact
    code, text = run("pseudo-label", tmp_path / "no-model", data, "-o", tmp_path / "p.parquet")
    one_line_error(code, text)
    assert "no-model: no such model directory or predictions file" in text


def test_pseudo_label_writes_csv_with_soft_labels_for_a_csv_name(
    rows50: Path, teacher_dir: Path, tmp_path: Path
) -> None:
    code, text = run("pseudo-label", teacher_dir, rows50, "-o", tmp_path / "soft.csv")
    assert code == 0, text
    assert not (tmp_path / "soft.csv").read_bytes().startswith(b"PAR1")
    back, report = read_battles(tmp_path / "soft.csv")
    assert report.format == "battles" and len(back) == 50 and back["soft_a"].notna().all()
    assert [p.name for p in tmp_path.iterdir()] == ["soft.csv"]  # no temporary file left


def test_predict_and_convert_refuse_to_overwrite_their_input(rows50: Path, teacher_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    data.write_bytes(rows50.read_bytes())
    for args in (["predict", teacher_dir, data, "-o", data], ["data", "convert", data, "-o", data]):
        code, text = run(*args)
        one_line_error(code, text)
        assert "is also the input file" in text
    assert data.read_bytes() == rows50.read_bytes()
    assert json.loads((teacher_dir / "model.json").read_text())["model"] == "prior"
