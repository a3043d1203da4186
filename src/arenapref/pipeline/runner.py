"""Run a recipe: read the data, ask the teacher, pseudo-label the pool, train one model or k fold models, average
the folds. Everything it writes goes under one output directory:

    OUT/recipe.json        the validated recipe
    OUT/pseudo.parquet     the pseudo-labelled pool (when the recipe has one)
    OUT/model/             the model (folds: 1), or OUT/fold-i/, OUT/oof.csv, OUT/folds.json (folds: K)
    OUT/averaged/          the fold-averaged model (average: adapters | deltas)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.errors import DataError
from arenapref.data.io import read_many, write_battles
from arenapref.data.report import ReadReport
from arenapref.data.schema import targets
from arenapref.pipeline.cv_train import fit_with_teacher, train_folds
from arenapref.pipeline.distributed import barrier, is_main_process
from arenapref.pipeline.recipes import Recipe, factory
from arenapref.pipeline.teachers import teacher_proba

Say = Callable[[str], None]


def pool_slice(pool: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    """A seeded random slice of the pool (all of it when max_rows is None), in the pool's order."""
    if max_rows is None or len(pool) <= max_rows:
        return pool
    rows = np.sort(np.random.default_rng(seed).choice(len(pool), max_rows, replace=False))
    return pool.iloc[rows].reset_index(drop=True)


def training_battles(
    files: list[str], fmt: str | None, teacher: str | None, say: Say = print
) -> tuple[pd.DataFrame, np.ndarray | None, list[ReadReport]]:
    """The battles to train on (a hard or soft label, or a teacher row: rows with no label train on the teacher
    alone), their teacher probabilities (when a teacher is given) and the read reports. The rows left out are
    counted; DataError when nothing is left."""
    battles, reports = read_many(files, fmt)
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
    return kept, (proba[usable] if proba is not None else None), reports


def run_recipe(recipe: Recipe, out: str | Path, say: Say = print) -> Path:
    """Carry out the recipe into `out`; returns the directory of the model to predict with."""
    from arenapref.pipeline.pseudo_labels import pseudo_label

    out = Path(out)
    main = is_main_process()
    if main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "recipe.json").write_text(recipe.model_dump_json(indent=2))
    build = factory(recipe)
    distil = recipe.distillation
    battles, teacher, _ = training_battles(recipe.data, recipe.format, distil.teacher if distil else None, say)
    alpha = distil.alpha if distil else 1.0
    extra = None
    if recipe.pseudo_labels:
        spec = recipe.pseudo_labels
        pool, _ = read_many(spec.pool)
        pool = pool_slice(pool, spec.max_rows, recipe.seed)
        source = spec.teacher or (distil.teacher if distil else None)
        assert source is not None  # the recipe's validator requires one
        extra, labelled = pseudo_label(pool, teacher_proba(source, pool), spec.min_confidence)
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
