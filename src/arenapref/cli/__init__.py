"""The `arenapref` command: thin, parses options and calls the layers. Errors exit non-zero without traceback."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from arenapref.cli import bench_cmd, data_cmd, model_cmd, pipeline_cmd, report_cmd, serve_cmd
from arenapref.data.errors import DataError
from arenapref.models.base import ModelDirError

app = typer.Typer(
    name="arenapref",
    help="Predict, evaluate, explain and serve human preferences between two chatbot responses.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for module in (data_cmd, bench_cmd, model_cmd, report_cmd, serve_cmd, pipeline_cmd):
    module.register(app)

err = Console(stderr=True)


def main() -> None:
    """Entry point: runs the app; known input errors become one red line and exit status 2."""
    try:
        app()
    except (DataError, ModelDirError) as exc:
        err.print(Text("error: ", style="bold red") + Text(str(exc)), highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        sys.exit(130)
