"""`arenapref data inspect` and `arenapref data convert`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from arenapref.data.io import read_many

console = Console()
data_app = typer.Typer(help="Read, check and convert preference data.", no_args_is_help=True)


@data_app.command("inspect")
def inspect(
    files: list[Path] = typer.Argument(..., help="Files or folders to read."),
    fmt: str | None = typer.Option(None, "--format", help="Force a format instead of detecting it."),
) -> None:
    """Format found, rows, labels, turns, length statistics and the repair report of each file."""
    _, reports = read_many(files, fmt)
    for rep in reports:
        console.print("\n".join(rep.lines()), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
