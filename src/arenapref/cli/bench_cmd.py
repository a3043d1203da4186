"""`arenapref bench` (every model through both protocols) and `arenapref evaluate PRED TRUTH` (Kaggle files)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from arenapref.cli.options import parse_sets
from arenapref.data.errors import DataError
from arenapref.evaluation.sizes import QUICK_MAX_ROWS, QUICK_MAX_TRAIN, QUICK_SPLITS

console = Console()
MIN_WIDTH = 180  # the benchmark table's width; wider than a pipe's default 80 columns


def bench(
    data: Path = typer.Option(Path("../shared/data"), "--data", help="Folder of preference sets (read recursively)."),
    models: str | None = typer.Option(None, "--models", help="Comma-separated model names (default: all registered)."),
    quick: bool = typer.Option(
        False,
        "--quick",
        help=f"{QUICK_SPLITS} folds, at most {QUICK_MAX_ROWS} battles per set and {QUICK_MAX_TRAIN} training "
        "battles per transfer fit; a dataset's splits cross-validated together.",
    ),
    out: Path = typer.Option(Path("out/bench"), "--out", help="Folder for results.json and results.md."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Run cache (default $ARENAPREF_CACHE or ~/.cache/arenapref/bench)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute every run and store nothing."),
    seed: int = typer.Option(0, "--seed", help="Seed of the folds and of the quick subsample."),
    sets: list[str] | None = typer.Option(
        None, "--set", help="Option KEY=VALUE for the models that take options (fine-tuned ones), repeatable."
    ),
    protocols: str = typer.Option(
        "in-domain,transfer",
        "--protocols",
        help="Comma-separated: in-domain, transfer, transfer-calibrated (the transfer model calibrated on k = 25, 50, "
        "100, 200 labelled battles of the held-out set, 5 draws each, beside the k-battle prior).",
    ),
) -> None:
    """Accuracy, log loss vs the prior, position consistency and time per set and protocol, beside published
    numbers; the prior is always run as the reference."""
    from arenapref.evaluation.bench import BenchConfig, run_bench
    from arenapref.evaluation.cache import default_cache_dir
    from arenapref.evaluation.judge_bench import judge_lines as judge_bench_lines
    from arenapref.evaluation.render import calibrated_table, footnotes, markdown, rich_table

    if not console.is_terminal:
        console.width = max(console.width, MIN_WIDTH)
    names = [m.strip() for m in models.split(",") if m.strip()] if models else None
    config = BenchConfig(data, names, quick, seed, None if no_cache else (cache_dir or default_cache_dir()))
    config.model_options = parse_sets(sets)
    config.protocols = tuple(p.strip() for p in protocols.split(",") if p.strip())
    try:
        with console.status("bench") as status:
            result = run_bench(config, progress=lambda msg: status.update(f"bench: {escape(msg)}"))
    except KeyError as exc:
        hint = "--protocols" if str(exc.args[0]).startswith("unknown protocol") else "--models"
        raise typer.BadParameter(str(exc.args[0]), param_hint=hint) from None
    for skipped in result.data["skipped_files"]:
        console.print(f"[yellow]skipped[/] {escape(skipped['error'])}")
    for source, info in result.data["sources"].items():
        if info["unlabelled_not_scored"]:
            console.print(f"{escape(source)}: {info['unlabelled_not_scored']} unlabelled rows not scored", style="dim")
    if result.rows:
        console.print(rich_table(result))
    table = calibrated_table(result)
    if table is not None:
        console.print(table)
    for line in footnotes(result):
        console.print(escape(line), style="dim", highlight=False)
    for line in judge_bench_lines(result.judges):
        console.print(escape(line), highlight=False)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result.to_dict(), indent=1))
    (out / "results.md").write_text(markdown(result))
    cache = result.cache
    console.print(
        f"wrote {out / 'results.json'} and {out / 'results.md'} · cache {cache['hits']} hits, {cache['misses']} misses"
        f" · {result.seconds:.1f} s",
        highlight=False,
    )
    for failure in result.failures:
        console.print(
            f"[red]failed:[/] {escape(failure['model'])} on {escape(failure['set'])} ({failure['protocol']}): "
            f"{escape(failure['error'])}",
            highlight=False,
        )
    if result.failures:
        raise typer.Exit(1)


def evaluate(
    pred: Path = typer.Argument(
        ..., help="Predictions: Kaggle submission CSV (id, winner_model_a, winner_model_b, winner_tie)."
    ),
    truth: Path = typer.Argument(..., help="Labelled battles: Kaggle train CSV or any format `data inspect` reads."),
    swapped: Path | None = typer.Option(
        None, "--swapped", help="Predictions on the same battles with A and B swapped (for position consistency)."
    ),
    fmt: str | None = typer.Option(None, "--format", help="Force the truth file's format."),
    html: Path | None = typer.Option(None, "--html", help="Write a page with every table and figure."),
    json_out: Path | None = typer.Option(None, "--json", help="Write every number as JSON."),
    judge_details: Path | None = typer.Option(
        None, "--judge-details", help="A judge's verdicts in both orders (`arenapref judge` writes OUT.judge.csv)."
    ),
    judge_name: str | None = typer.Option(None, "--judge-name", help="The judge's model name (self-enhancement)."),
) -> None:
    """Log loss (as Kaggle scores it), accuracy, Brier, calibration, confusion, verbosity, breakdowns by source and
    turns, and position consistency of a prediction file against labelled battles."""
    from arenapref.data.io import read_battles
    from arenapref.evaluation.predictions import align, read_predictions
    from arenapref.evaluation.summary import evaluate as evaluate_predictions
    from arenapref.evaluation.summary import summary_lines

    battles, _ = read_battles(truth, fmt)
    if battles["label"].isna().all():
        raise DataError(str(truth), "no labelled battle to score against", field="label")
    proba = align(read_predictions(pred), battles["id"], pred)
    proba_swapped = align(read_predictions(swapped), battles["id"], swapped) if swapped else None
    result = evaluate_predictions(battles, proba, proba_swapped)
    console.print(f"[bold]{escape(str(pred))}[/] against [bold]{escape(str(truth))}[/]")
    console.print("\n".join(summary_lines(result)), markup=False, highlight=False, soft_wrap=True)
    judged = None
    if judge_details:
        from arenapref.evaluation.judge_eval import judge_lines, judge_report, read_details

        judged = judge_report(battles, *read_details(judge_details, battles["id"]), judge_name)
        console.print("\n".join(judge_lines(judged)), markup=False, highlight=False, soft_wrap=True)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        numbers = {**result.to_dict(), **({"judge": judged.to_dict()} if judged else {})}
        json_out.write_text(json.dumps(numbers, indent=1, default=float))
        console.print(f"wrote {json_out}", highlight=False)
    if html:
        from arenapref.report.evaluation_page import evaluation_page

        page = evaluation_page(result, f"Evaluation of {pred.name}", f"{pred} against {truth}")
        console.print(f"wrote {page.write(html)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `bench` and `evaluate` to the app."""
    app.command("bench")(bench)
    app.command("evaluate")(evaluate)
