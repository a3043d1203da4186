"""Run a recipe: read the data, ask the teacher, pseudo-label the pool, train one model or k fold models, average
the folds. Everything it writes goes under one output directory:

    OUT/recipe.json        the validated recipe
    OUT/pseudo.parquet     the pseudo-labelled pool (when the recipe has one)
    OUT/model/             the model (folds: 1), or OUT/fold-i/, OUT/oof.csv, OUT/folds.json (folds: K)
    OUT/averaged/          the fold-averaged model (average: adapters | deltas)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.errors import DataError
from arenapref.data.folds import fold_limit
from arenapref.data.io import read_many, write_battles
from arenapref.data.report import ReadReport
from arenapref.data.schema import targets
from arenapref.pipeline.cv_train import fit_with_teacher, train_folds
from arenapref.pipeline.distributed import barrier, is_main_process
from arenapref.pipeline.recipes import COMMAND_LINE, Recipe, factory
from arenapref.pipeline.teachers import check_teacher, teacher_proba

Say = Callable[[str], None]


def pool_slice(pool: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    """A seeded random slice of the pool (all of it when max_rows is None), in the pool's order."""
    if max_rows is None or len(pool) <= max_rows:
        return pool
    rows = np.sort(np.random.default_rng(seed).choice(len(pool), max_rows, replace=False))
    return pool.iloc[rows].reset_index(drop=True)


@dataclass
class Prepared:
    """What a run reads before it trains, every check that needs no training passed: the battles as read, their
    read reports and the pseudo-label pool (its seeded slice)."""

    battles: pd.DataFrame
    reports: list[ReadReport]
    pool: pd.DataFrame | None = None


def prepare(recipe: Recipe, where: str) -> Prepared:
    """Every check a run can make before it trains or writes anything (what `train --check` reports): the model
    and its options, fold averaging for a model that has fold weights, the accelerate config, the data (read),
    the folds those battles allow, the distillation teacher and the pseudo-label pool and its teacher (present
    and readable; nothing predicted). DataError (or ModelDirError for a teacher's folder) naming the file or
    `where` (the recipe file, or the command line) and the field."""
    factory(recipe, Path(where) if where != COMMAND_LINE else None)
    check_settings(recipe, where)
    battles, reports = read_many(recipe.data, recipe.format)
    distil = recipe.distillation
    if distil:
        check_teacher(distil.teacher, battles, where, "distillation.teacher")
    trainable = battles if distil else battles[targets(battles).sum(axis=1) > 0]  # a teacher covers every row
    if not len(trainable):
        raise DataError(", ".join(recipe.data), "no labelled battles to train on")
    problem = fold_limit(trainable, recipe.folds) if recipe.folds > 1 else None
    if problem is not None:
        raise DataError(where, problem, field="folds")
    pool = None
    if recipe.pseudo_labels:
        spec = recipe.pseudo_labels
        pool = pool_slice(read_many(spec.pool)[0], spec.max_rows, recipe.seed)
        field = "pseudo_labels.teacher" if spec.teacher else "distillation.teacher"
        source = spec.teacher or (distil.teacher if distil else None)
        assert source is not None  # the recipe's validator requires one
        check_teacher(source, pool, where, field)
    return Prepared(battles, reports, pool)


def check_settings(recipe: Recipe, where: str) -> None:
    """The settings that need neither data nor training: fold averaging for a model with fold weights, and the
    accelerate config file (present, a YAML mapping)."""
    from arenapref.models.registry import MODELS, model_class

    model = model_class(recipe.model)
    if recipe.average != "none" and model is not None and not model.fold_averaging:
        able = [name for name in MODELS if (cls := model_class(name)) is not None and cls.fold_averaging]
        message = f"model {recipe.model!r} has no fold weights to average (models that do: {', '.join(able)})"
        raise DataError(where, message, field="average")
    if recipe.accelerate_config is not None:
        check_accelerate_config(Path(recipe.accelerate_config), where)


def check_accelerate_config(path: Path, where: str) -> None:
    """DataError unless `path` is a readable YAML mapping (what `accelerate launch --config_file` reads)."""
    import yaml

    field = "accelerate_config"
    if not path.is_file():
        raise DataError(where, f"{path}: no such accelerate config file", field=field)
    try:
        data = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(where, f"{path}: unreadable accelerate config ({type(exc).__name__})", field=field) from None
    if not isinstance(data, dict):
        raise DataError(where, f"{path}: an accelerate config is a YAML mapping", field=field)


def training_battles(
    battles: pd.DataFrame, files: list[str], teacher: str | None, say: Say = print
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The battles to train on (a hard or soft label, or a teacher row: rows with no label train on the teacher
    alone) and their teacher probabilities (when a teacher is given). The rows left out are counted; DataError
    naming `files` when nothing is left."""
    proba = teacher_proba(teacher, battles) if teacher else None
    labelled = targets(battles).sum(axis=1) > 0
    usable = labelled | (~np.isnan(proba).any(axis=1) if proba is not None else False)
    if not usable.any():
        raise DataError(", ".join(files), "no labelled battles to train on")
    if (~usable).any():
        say(f"{int((~usable).sum()):,} unlabelled battles not used for training (no label, no teacher)")
    if proba is not None and (usable & ~labelled).any():
        say(f"{int((usable & ~labelled).sum()):,} battles with no label train on the teacher alone")
    kept = battles[usable].reset_index(drop=True)
    return kept, (proba[usable] if proba is not None else None)


def run_recipe(recipe: Recipe, out: str | Path, say: Say = print, prepared: Prepared | None = None) -> Path:
    """Carry out the recipe into `out`; returns the directory of the model to predict with. `prepared`: what
    prepare() read (prepared here when not given), so every check is made before anything is written."""
    from arenapref.pipeline.pseudo_labels import pseudo_label

    prepared = prepared if prepared is not None else prepare(recipe, recipe.name)
    out = Path(out)
    main = is_main_process()
    if main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "recipe.json").write_text(recipe.model_dump_json(indent=2))
    build = factory(recipe)
    distil = recipe.distillation
    battles, teacher = training_battles(prepared.battles, recipe.data, distil.teacher if distil else None, say)
    alpha = distil.alpha if distil else 1.0
    extra = None
    if recipe.pseudo_labels and prepared.pool is not None:
        spec = recipe.pseudo_labels
        source = spec.teacher or (distil.teacher if distil else None)
        assert source is not None  # the recipe's validator requires one
        extra, labelled = pseudo_label(prepared.pool, teacher_proba(source, prepared.pool), spec.min_confidence)
        say(labelled.line())
        if main:
            write_battles(extra, out / "pseudo.parquet")
    say(
        f"training {recipe.model} on {len(battles):,} battles"
        + (f" + {len(extra):,} pseudo-labelled" if extra is not None else "")
    )
    if recipe.folds == 1:
        data = battles if extra is None else pd.concat([battles, extra], ignore_index=True)
        rows_teacher = None
        if teacher is not None:
            rows_teacher = teacher if extra is None else np.vstack([teacher, np.full((len(extra), 3), np.nan)])
        model = fit_with_teacher(build(), data, rows_teacher, alpha)
        if main:
            model.save(out / "model", extra={"recipe": recipe.name})
        barrier()
        return out / "model"
    report = train_folds(build, battles, recipe.folds, out, recipe.seed, extra, teacher, None, alpha, recipe.tta)
    for line in report.lines():
        say(line)
    if recipe.average == "none":
        return out / "fold-0"
    from arenapref.pipeline.fold_average import average_folds

    if main:
        folds: list[str | Path] = [out / f"fold-{i}" for i in range(recipe.folds)]
        say(average_folds(folds, out / "averaged", recipe.average).line())
    barrier()
    return out / "averaged"
