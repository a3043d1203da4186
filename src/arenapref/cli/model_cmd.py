"""`arenapref train`, `arenapref predict` (Kaggle submission) and `arenapref explain` (why a verdict)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from arenapref.cli.options import parse_sets
from arenapref.cli.outputs import check_outputs
from arenapref.cli.reasons_view import reasons_table
from arenapref.data.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from arenapref.data.report import ReadReport
    from arenapref.kaggle.budget import TimeBudget
    from arenapref.models.base import PreferenceModel
    from arenapref.pipeline.recipes import Recipe
    from arenapref.pipeline.runner import Prepared

console = Console()
PREDICT_BATCH = 10_000


def train(
    files: list[Path] | None = typer.Argument(
        None, help="Battle files or folders, any readable format, mixed (hard or soft labels; with --config: optional)."
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="Registered model name (default: fast)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Model directory to write (with --folds K or --config: the run directory)."
    ),
    fmt: str | None = typer.Option(None, "--format", help="Force one format for every file."),
    sets: list[str] | None = typer.Option(
        None, "--set", help="Model option KEY=VALUE, repeatable (fine-tuned models: max_length, epochs, ...)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Recipe file (YAML or JSON, see configs/recipes/); the other options override it."
    ),
    folds: int | None = typer.Option(
        None, "--folds", min=1, help="K >= 2: one model per prompt-grouped fold (OUT/fold-i) and OUT/oof.csv."
    ),
    teacher: Path | None = typer.Option(
        None, "--teacher", help="Distil: a model directory or predictions CSV (--set alpha=0.5 --set temperature=1)."
    ),
    check: bool = typer.Option(False, "--check", help="Only validate the recipe and options; train nothing."),
) -> None:
    """Train a model on every labelled battle of FILES and save its directory (everything predict needs); with
    --folds or --config, run the whole recipe (folds, fold averaging, distillation, pseudo-labels)."""
    from arenapref.pipeline.distributed import barrier, is_main_process
    from arenapref.pipeline.recipes import COMMAND_LINE, command_line_recipe
    from arenapref.pipeline.runner import prepare

    started = time.perf_counter()
    main = is_main_process()  # under torchrun / accelerate launch only rank 0 prints and writes
    console.quiet = not main
    names = [str(f) for f in files or []]
    recipe = command_line_recipe(
        config, names, model, parse_sets(sets), folds, None if teacher is None else str(teacher), fmt
    )
    if out is None and not check:
        raise typer.BadParameter("give the directory to write", param_hint="--out")
    where = str(config) if config is not None else COMMAND_LINE
    with console.status("checking the recipe: reading the data"):
        prepared = prepare(recipe, where)  # every check that needs no training, before anything is written
    if check:
        line = f"{escape(where)}: valid recipe {escape(recipe.name)!r} ({_checked(recipe, prepared)})"
        console.print(line, highlight=False, soft_wrap=True)
        return
    assert out is not None
    if config is not None or recipe.folds > 1:
        from arenapref.cli.pipeline_cmd import run_recipe_command

        run_recipe_command(recipe, out, prepared)
        return
    from arenapref.pipeline.cv_train import fit_with_teacher
    from arenapref.pipeline.recipes import factory
    from arenapref.pipeline.runner import training_battles

    estimator = factory(recipe)()
    distil = recipe.distillation
    name = recipe.model
    _print_reports(prepared.reports)
    with console.status("reading") as status:
        battles, teacher_rows = training_battles(
            prepared.battles, recipe.data, distil.teacher if distil else None, lambda line: console.print(escape(line))
        )
        if hasattr(estimator, "progress"):
            estimator.progress = lambda message: status.update(f"{name}: {escape(message)}")
        status.update(f"{name}: training on {len(battles):,} battles")
        fit_with_teacher(estimator, battles, teacher_rows, distil.alpha if distil else 1.0)
        status.update(f"writing {out}")
        if main:
            estimator.save(out, extra={"trained_on": names, **({"teacher": distil.teacher} if distil else {})})
        barrier()
    taught = f", distilled from {escape(distil.teacher)}" if distil else ""
    seconds = time.perf_counter() - started
    console.print(f"trained [bold]{name}[/] on {len(battles):,} battles{taught} in {seconds:.1f} s")
    _print_training(estimator)
    console.print(f"wrote {escape(str(out))}", highlight=False)


def _checked(recipe: Recipe, prepared: Prepared) -> str:
    """What `train --check` checked, in a few words."""
    parts = [f"model {recipe.model}", f"{len(prepared.battles):,} battles read"]
    if recipe.folds > 1:
        parts.append(f"{recipe.folds} folds")
    if recipe.distillation:
        parts.append(f"teacher {recipe.distillation.teacher}")
    if prepared.pool is not None:
        parts.append(f"pool of {len(prepared.pool):,} battles")
    return escape("; ".join(parts))


def predict(
    model_dir: Path = typer.Argument(..., help="Model directory written by `arenapref train`."),
    file: Path = typer.Argument(..., help="Battles to predict (labels and model names not needed)."),
    out: Path = typer.Option(Path("submission.csv"), "--out", "-o", help="Kaggle submission CSV to write."),
    fmt: str | None = typer.Option(None, "--format", help="Force the input format."),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse input with any unreadable row (Kaggle rejects a submission missing ids)."
    ),
    max_length: int | None = typer.Option(None, "--max-length", help="Token window (fine-tuned models)."),
    sets: list[str] | None = typer.Option(
        None,
        "--set",
        help="Option KEY=VALUE applied before the weights load, repeatable (fine-tuned models: quantization=8bit, "
        "device_map=auto, max_memory_per_gpu=14GiB, predict_batch_size, predict_max_tokens).",
    ),
    time_limit: float | None = typer.Option(
        None, "--time-limit", min=0, help="Hours: stop (exit 3) when the projection for --project-rows passes it."
    ),
    project_rows: int = typer.Option(25_000, "--project-rows", min=1, help="Rows the time projection is for."),
    tie_rate: float | None = typer.Option(
        None,
        "--tie-rate",
        help="A new arena's tie rate R (0 < R < 1), known without labels: every battle's tie odds are multiplied by "
        "one factor so that the mean P(tie) over this file is R; P(A) : P(B) is kept. For files of many battles.",
    ),
) -> None:
    """Write P(A wins), P(B wins), P(tie) per battle in Kaggle's submission format, ids and row order kept."""
    from arenapref.data.io import read_battles
    from arenapref.data.submission import write_submission
    from arenapref.kaggle.budget import OverBudget, TimeBudget
    from arenapref.models import registry
    from arenapref.pipeline.distributed import barrier, is_main_process, predict_sharded, world_size

    started = time.perf_counter()
    main = is_main_process()  # under torchrun / accelerate launch: rows shared, rank 0 prints and writes
    console.quiet = not main
    if tie_rate is not None and not 0 < tie_rate < 1:
        raise typer.BadParameter(f"{tie_rate} is not strictly between 0 and 1", param_hint="--tie-rate")
    check_outputs([file], [out])
    options = parse_sets(sets)
    if max_length is not None:
        options["max_length"] = str(max_length)
    model = registry.load(model_dir, options or None)
    battles, report = read_battles(file, fmt)
    _print_reports([report])
    if strict and report.rows_dropped:
        reason, ids = next(iter(report.dropped.items()))
        raise DataError(str(file), f"--strict: {report.rows_dropped} row(s) dropped; first: {ids[0]}: {reason}")
    processes = world_size()
    budget = None
    if time_limit is not None:
        spent = time.perf_counter() - started
        budget = TimeBudget(project_rows, time_limit, processes, spent_before=spent, say=main)
    try:
        proba = predict_sharded(lambda rows: predict_in_batches(model, rows, budget=budget), battles)
    except OverBudget as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(3) from None
    if tie_rate is not None and len(proba):
        from arenapref.models.calibrated.fit import shift_tie_rate

        before = float(proba[:, 2].mean())
        proba = shift_tie_rate(proba, tie_rate)
        console.print(
            f"--tie-rate: mean P(tie) over {len(proba):,} battles {before:.4f} -> {tie_rate:.4f}", highlight=False
        )
    if main:
        try:
            write_submission(battles["id"], proba, out)
        except OSError as exc:
            raise DataError(str(out), f"cannot write the submission: {exc.strerror or exc}") from None
    barrier()
    seconds = time.perf_counter() - started
    missing = (
        f"; {report.rows_dropped:,} input row(s) dropped, so {report.rows_dropped:,} id(s) missing from the output"
        if report.rows_dropped
        else "; no id missing"
    )
    console.print(
        f"wrote {escape(str(out))}: {len(battles):,} of {report.rows_read:,} rows in {seconds:.1f} s"
        + (f" by {processes} processes" if processes > 1 else "")
        + missing,
        highlight=False,
    )


def predict_in_batches(
    model: PreferenceModel, battles: pd.DataFrame, batch: int = PREDICT_BATCH, budget: TimeBudget | None = None
) -> np.ndarray:
    """The model's probabilities, computed batch by batch behind a progress bar; with a time budget, the first
    batch is small and the run stops (OverBudget) when the projection passes the limit."""
    import numpy as np

    from arenapref.kaggle.budget import JUDGE_AFTER_ROWS, batch_bounds

    columns = (TextColumn("predicting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    parts = []
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("predict", total=len(battles))
        for start, stop in batch_bounds(len(battles), batch, first=batch if budget is None else JUDGE_AFTER_ROWS):
            chunk = battles.iloc[start:stop]
            parts.append(np.asarray(model.predict_proba(chunk), dtype=float))
            progress.advance(task, len(chunk))
            if budget is not None:
                budget.advance(len(chunk))
    return np.vstack(parts) if parts else np.zeros((0, 3))


def explain(
    model_dir: Path = typer.Argument(..., help="Model directory written by `arenapref train`."),
    file: Path = typer.Argument(..., help="File holding the battle."),
    battle_id: str = typer.Option(..., "--id", help="Id of the battle to explain."),
    top: int = typer.Option(10, "--top", min=1, help="How many features to show."),
    fmt: str | None = typer.Option(None, "--format", help="Force the input format."),
    raw: bool = typer.Option(False, "--raw", help="Feature names and values instead of readable reasons."),
) -> None:
    """The verdict on one battle and the features that pushed it (LightGBM per-feature contributions), in words."""
    import numpy as np

    from arenapref.data.io import read_battles
    from arenapref.models import registry

    model = registry.load(model_dir)
    battles, _ = read_battles(file, fmt)
    match = battles.index[battles["id"] == battle_id]
    if len(match) == 0:
        raise DataError(str(file), f"no battle with id {battle_id!r}", field="id")
    battle = battles.loc[match[:1]].reset_index(drop=True)
    proba = np.asarray(model.predict_proba(battle), dtype=float)[0]
    reasons = model.explain(battle, top)
    names = ("A wins", "B wins", "tie")
    verdict = int(np.argmax(proba))
    console.print(
        f"battle {escape(battle_id)}: [bold]{names[verdict]}[/]  "
        + "  ".join(f"P({n}) {p:.3f}" for n, p in zip(names, proba, strict=True)),
        highlight=False,
    )
    if reasons is None:
        console.print(f"[yellow]model {escape(type(model).name)} cannot explain its verdicts[/]")
        return
    console.print(reasons_table(reasons[0], names[verdict], raw))
    console.print("contributions are log-odds (SHAP values of the booster, both orders combined)", style="dim")


def _print_reports(reports: list[ReadReport]) -> None:
    for report in reports:
        for line in report.lines():
            console.print(escape(line), highlight=False, style="yellow" if line.startswith("  dropped") else None)


def _print_training(model: PreferenceModel) -> None:
    training = getattr(model, "training", None)
    if training and "steps" in training:  # a fine-tuned transformer
        best = training.get("best_loss")
        console.print(
            f"{training['steps']} optimisation steps on {training['train_battles']:,} battles (both orders"
            + (f", {training['processes']} processes" if training.get("processes", 1) > 1 else "")
            + f"), {training['battles_per_second']:.2f} battles/s, {training['stopped']}; "
            + (
                f"best held-out log loss {best:.4f} at step {training['best_step']}"
                if best is not None
                else "no held-out set"
            ),
            highlight=False,
        )
    elif training:
        rounds = ", ".join(f"{k} {v}" for k, v in training.get("rounds", {}).items())
        console.print(f"boosting rounds: {rounds}; inner folds: {training.get('inner_folds')}", highlight=False)
    temperatures = getattr(model, "temperatures", None)
    if temperatures:
        console.print("temperatures: " + ", ".join(f"{k} {v:.3f}" for k, v in temperatures.items()), highlight=False)


def register(app: typer.Typer) -> None:
    """Add train, predict and explain to the app."""
    app.command("train")(train)
    app.command("predict")(predict)
    app.command("explain")(explain)
