"""`arenapref pseudo-label`, `arenapref average-folds` and the recipe runner behind `arenapref train --config` /
`--folds`: the winners' pipeline.

`pseudo-label` and `train` run unchanged under `torchrun` / `accelerate launch`: the rows are shared across the
processes and the main process writes the files. Heavy libraries are imported inside the commands.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from arenapref.cli.outputs import check_outputs

if TYPE_CHECKING:
    from arenapref.pipeline.recipes import Recipe
    from arenapref.pipeline.runner import Prepared

console = Console()


def pseudo_label(
    teacher: Path = typer.Argument(..., help="Teacher: a model directory, or a predictions CSV (Kaggle submission)."),
    file: Path = typer.Argument(..., help="Battles to label (labels not needed)."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Battle table with soft labels to write: .parquet, .csv, .jsonl or .json."
    ),
    min_confidence: float | None = typer.Option(
        None, "--min-confidence", min=1 / 3, max=1.0, help="Keep only battles whose top teacher probability is >= this."
    ),
    fmt: str | None = typer.Option(None, "--format", help="Force the input format."),
) -> None:
    """Write FILE's battles with the teacher's mirror-averaged probabilities as soft labels (soft_a, soft_b,
    soft_tie), in the format OUT's suffix names, readable by every trainer (`arenapref train OUT ...`)."""
    from arenapref.data.io import battle_file_format, read_battles, write_battles
    from arenapref.pipeline.distributed import is_main_process
    from arenapref.pipeline.pseudo_labels import pseudo_label as label_battles
    from arenapref.pipeline.teachers import check_teacher, teacher_proba

    started = time.perf_counter()
    check_outputs([file, teacher], [out], example="pseudo.parquet")
    battle_file_format(out)
    battles, report = read_battles(file, fmt)
    check_teacher(teacher, battles)
    main = is_main_process()
    if main:
        for line in report.lines():
            console.print(escape(line), highlight=False)
    proba = teacher_proba(teacher, battles)
    labelled, summary = label_battles(battles, proba, min_confidence)
    if main:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_battles(labelled, out)
        console.print(summary.line(), highlight=False)
        seconds = time.perf_counter() - started
        console.print(f"wrote {escape(str(out))}: {len(labelled):,} rows in {seconds:.1f} s", highlight=False)


def average_folds(
    folds: list[Path] = typer.Argument(..., help="Fold model directories (or peft adapter folders), two or more."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory to write the averaged model to."),
    method: str = typer.Option(
        "adapters", "--method", help="adapters: mean of the LoRA A, B and head tensors; deltas: mean of B @ A merged."
    ),
    base: Path | None = typer.Option(None, "--base", help="Base checkpoint for --method deltas on peft folders."),
) -> None:
    """Average fold adapters element-wise into one model (the 1st-place trick), or average their merged deltas."""
    from arenapref.pipeline.fold_average import average_folds as average

    if method not in ("adapters", "deltas"):
        raise typer.BadParameter("use 'adapters' or 'deltas'", param_hint="--method")
    if len(folds) < 2:
        raise typer.BadParameter("give at least two fold directories", param_hint="FOLDS")
    try:
        report = average(folds, out, method, base)  # type: ignore[arg-type]
    except FileExistsError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from None
    console.print(report.line(), highlight=False)
    console.print(f"wrote {escape(str(out))}", highlight=False)


def run_recipe_command(recipe: Recipe, out: Path, prepared: Prepared) -> None:
    """`arenapref train --config FILE` / `--folds K`: run the recipe into OUT, printing from the main process only
    (per-fold scores, the out-of-fold score, the model to predict with); `prepared`: what runner.prepare read and
    checked."""
    from arenapref.pipeline.distributed import is_main_process
    from arenapref.pipeline.recipes import COMMAND_LINE
    from arenapref.pipeline.runner import run_recipe

    started = time.perf_counter()
    say = (lambda line: console.print(escape(line), highlight=False)) if is_main_process() else (lambda line: None)
    model_dir = run_recipe(recipe, out, say, prepared)
    what = "k-fold training" if recipe.name == COMMAND_LINE else f"recipe {recipe.name}"
    say(f"{what} done in {time.perf_counter() - started:.1f} s; model to predict with: {model_dir}")


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to the app."""
    app.command("pseudo-label")(pseudo_label)
    app.command("average-folds")(average_folds)
