"""`arenapref data inspect` and `arenapref data convert`: parse options, call the data layer, print."""

from __future__ import annotations

import math
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from arenapref.data.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from arenapref.data.report import ReadReport

console = Console(width=None if sys.stdout.isatty() else 140)  # piped output: wide enough for the tables
err = Console(stderr=True)
data_app = typer.Typer(help="Read, check and convert preference data.", no_args_is_help=True)

FORMAT_HELP = "Force a format instead of detecting it from the content (e.g. kaggle, arena, pairs)."
STRICT_HELP = "Treat any dropped row as an error (exit 2) instead of reporting it and going on."


class Target(str, Enum):
    parquet = "parquet"
    kaggle = "kaggle"


def read_all(files: list[Path], fmt: str | None, strict: bool) -> list[tuple[pd.DataFrame, ReadReport]]:
    """Read every file (folders expanded) under a progress bar; with `strict`, a dropped row is an error."""
    from arenapref.data.io import expand_paths, read_battles

    paths = expand_paths(files)
    if not paths:
        raise DataError(", ".join(map(str, files)), "no data files found")
    out = []
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("reading", total=len(paths))
        for path in paths:
            progress.update(task, description=f"reading {path.name}")
            df, report = read_battles(path, fmt)
            if strict and report.rows_dropped:
                reason, ids = next(iter(report.dropped.items()))
                raise DataError(str(path), f"--strict: {report.rows_dropped} row(s) dropped; first: {ids[0]}: {reason}")
            out.append((df, report))
            progress.advance(task)
    return out


def stats_tables(results: list[tuple[pd.DataFrame, ReadReport]]) -> tuple[Table, Table]:
    """Two tables, one line per file: rows and labels; turns and lengths (characters, over all turns)."""
    from arenapref.data.stats import summarise

    counts = Table(title="rows and labels")
    counts.add_column("source", overflow="fold", min_width=16)
    counts.add_column("format", overflow="fold")
    for name in ("read", "kept", "dropped", "A", "B", "tie", "n/a", "soft"):
        counts.add_column(name, justify="right")
    shape = Table(title="turns and lengths (characters, all turns)")
    shape.add_column("source", overflow="fold", min_width=16)
    for name in (
        "multi-turn",
        "max turns",
        "prompt p50",
        "resp p10",
        "resp p50",
        "resp p90",
        "resp max",
        "longer wins",
    ):
        shape.add_column(name, justify="right")
    for df, report in results:
        s = summarise(df)
        source = ", ".join(sorted(df["source"].unique())) if len(df) else Path(report.path).name
        rows = (report.rows_read, report.rows_kept, report.rows_dropped)
        labels = (s.labels[k] for k in ("A", "B", "tie", "unlabelled"))
        counts.add_row(source, report.format, *map(str, (*rows, *labels, s.soft_labels)))
        responses = s.lengths.loc[["response_a", "response_b"]]
        shape.add_row(
            source,
            str(s.turns["multi_turn"]),
            str(s.turns["max_turns"]),
            f"{s.lengths.loc['prompt', 'p50']:.0f}",
            *(f"{responses[c].mean():.0f}" for c in ("p10", "p50", "p90")),
            f"{responses['max'].max():.0f}",
            "-" if math.isnan(s.longer_wins) else f"{s.longer_wins:.0%}",
        )
    return counts, shape


@data_app.command("inspect")
def inspect(
    files: list[Path] = typer.Argument(..., help="Files or folders to read."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
) -> None:
    """Format found, rows, labels, turns, length statistics (characters) and the repair report of each file."""
    results = read_all(files, fmt, strict)
    tables = [(df, report) for df, report in results if len(df)]  # an empty table is its report line alone
    for table in stats_tables(tables) if tables else ():
        console.print(table)
    for _, report in results:
        console.print("\n".join(report.lines()), highlight=False, markup=False)
    if len(results) > 1:
        total = sum(len(df) for df, _ in results)
        console.print(f"{len(results)} files, {total} battles", highlight=False)


@data_app.command("convert")
def convert(
    files: list[Path] = typer.Argument(..., help="Files or folders to read (several are concatenated)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output file: .parquet (battle table) or .csv (Kaggle)."),
    to: Target | None = typer.Option(None, "--to", help="Output format; default from the suffix of --out."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
) -> None:
    """Read files into the battle table and write it as parquet or as Kaggle train.csv."""
    import pandas as pd

    from arenapref.cli.outputs import check_outputs
    from arenapref.data.io import expand_paths, write_battles
    from arenapref.data.schema import COLUMNS, SOFT_COLUMNS, conform
    from arenapref.data.submission import write_kaggle_train

    target = to or (Target.kaggle if out.suffix.lower() == ".csv" else Target.parquet)
    check_outputs(expand_paths(files), [out], example="battles.parquet")
    results = read_all(files, fmt, strict)
    for _, report in results:
        console.print("\n".join(report.lines()), highlight=False, markup=False)
    battles = conform(pd.concat([df for df, _ in results], ignore_index=True))
    duplicated = int(battles["id"].duplicated().sum())
    if duplicated:
        console.print(
            f"note: {duplicated} ids occur in more than one file (ids are unique per source)", highlight=False
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if target is Target.kaggle:
        write_kaggle_train(battles, out)
        lost = [c for c in battles.columns[len(COLUMNS) :] if battles[c].notna().any()]
        lost += [c for c in SOFT_COLUMNS if battles[c].notna().any()]
        console.print(
            f"note: Kaggle CSV keeps no source, tie_allowed{''.join(', ' + c for c in lost)}", highlight=False
        )
    else:
        write_battles(battles, out, "parquet")
    console.print(f"wrote {len(battles)} battles to {out} ({target.value})", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
