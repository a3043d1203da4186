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
from arenapref.cli.reasons_view import reasons_table
from arenapref.data.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from arenapref.data.report import ReadReport
    from arenapref.models.base import PreferenceModel

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
    from arenapref.pipeline.recipes import command_line_recipe

    started = time.perf_counter()
    names = [str(f) for f in files or []]
    recipe = command_line_recipe(
        config, names, model, parse_sets(sets), folds, None if teacher is None else str(teacher), fmt
    )
    if check:
        where = escape(str(config)) if config is not None else "command line"
        console.print(f"{where}: valid recipe {escape(recipe.name)!r} (model {recipe.model})", highlight=False)
        return
    if out is None:
        raise typer.BadParameter("give the directory to write", param_hint="--out")
    if config is not None or recipe.folds > 1:
        from arenapref.cli.pipeline_cmd import run_recipe_command

        run_recipe_command(recipe, out)
        return
    from arenapref.pipeline.cv_train import fit_with_teacher
    from arenapref.pipeline.distributed import barrier, is_main_process
    from arenapref.pipeline.recipes import factory
    from arenapref.pipeline.runner import training_battles

    main = is_main_process()  # under torchrun / accelerate launch only rank 0 prints and writes
    console.quiet = not main
    estimator = factory(recipe)()
    distil = recipe.distillation
    name = recipe.model
    with console.status("reading") as status:
        battles, teacher_rows, reports = training_battles(
            recipe.data, recipe.format, distil.teacher if distil else None, lambda line: console.print(escape(line))
        )
        _print_reports(reports)
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


def predict(
    model_dir: Path = typer.Argument(..., help="Model directory written by `arenapref train`."),
    file: Path = typer.Argument(..., help="Battles to predict (labels and model names not needed)."),
    out: Path = typer.Option(Path("submission.csv"), "--out", "-o", help="Kaggle submission CSV to write."),
    fmt: str | None = typer.Option(None, "--format", help="Force the input format."),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse input with any unreadable row (Kaggle rejects a submission missing ids)."
    ),
    max_length: int | None = typer.Option(None, "--max-length", help="Token window (fine-tuned models)."),
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
    from arenapref.models import registry
    from arenapref.pipeline.distributed import barrier, is_main_process, predict_sharded, world_size

    started = time.perf_counter()
    main = is_main_process()  # under torchrun / accelerate launch: rows shared, rank 0 prints and writes
    console.quiet = not main
    if tie_rate is not None and not 0 < tie_rate < 1:
        raise typer.BadParameter(f"{tie_rate} is not strictly between 0 and 1", param_hint="--tie-rate")
    check_writable(out)
    model = registry.load(model_dir)
    if max_length is not None:
        if not registry.accepts_options(model):
            raise typer.BadParameter(f"model {type(model).name!r} has no token window", param_hint="--max-length")
        model.set_options({"max_length": max_length})  # type: ignore[attr-defined]
    battles, report = read_battles(file, fmt)
    _print_reports([report])
    if strict and report.rows_dropped:
        reason, ids = next(iter(report.dropped.items()))
        raise DataError(str(file), f"--strict: {report.rows_dropped} row(s) dropped; first: {ids[0]}: {reason}")
    proba = predict_sharded(lambda rows: predict_in_batches(model, rows), battles)
    if tie_rate is not None and len(proba):
        from arenapref.models.calibrated.fit import shift_tie_rate

        before = float(proba[:, 2].mean())
        proba = shift_tie_rate(proba, tie_rate)
        console.print(
            f"--tie-rate: mean P(tie) over {len(proba):,} battles {before:.4f} -> {tie_rate:.4f}", highlight=False
        )
    processes = world_size()
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


def check_writable(out: Path) -> None:
    """DataError naming `out` when a file cannot be written there (a folder, or a path under a file)."""
    if out.is_dir():
        raise DataError(str(out), "is a folder; give a file name for the submission, e.g. submission.csv")
    blocking = next((parent for parent in out.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise DataError(str(out), f"cannot create it: {blocking} is a file, not a folder")


def predict_in_batches(model: PreferenceModel, battles: pd.DataFrame, batch: int = PREDICT_BATCH) -> np.ndarray:
    """The model's probabilities, computed batch by batch behind a progress bar."""
    import numpy as np

    columns = (TextColumn("predicting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    parts = []
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("predict", total=len(battles))
        for start in range(0, len(battles), batch):
            chunk = battles.iloc[start : start + batch]
            parts.append(np.asarray(model.predict_proba(chunk), dtype=float))
            progress.advance(task, len(chunk))
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
