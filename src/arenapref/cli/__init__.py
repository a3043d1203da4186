"""The `arenapref` command: thin, parses options and calls the layers. Errors exit non-zero without traceback.

Importing this package (what `arenapref --help` does) loads no heavy library: every command module imports the
layers it calls inside its command functions (tests/test_cli_startup.py checks which modules are loaded)."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from arenapref.cli import (
    bench_cmd,
    cache_cmd,
    calibrate_cmd,
    data_cmd,
    judge_cmd,
    kaggle_cmd,
    model_cmd,
    pipeline_cmd,
    report_cmd,
    reward_cmd,
    serve_cmd,
)
from arenapref.cli.version_cmd import register as register_version
from arenapref.data.errors import DataError
from arenapref.models.errors import ModelDirError

app = typer.Typer(
    name="arenapref",
    help="Predict, evaluate, explain and serve human preferences between two chatbot responses.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for module in (
    data_cmd,
    bench_cmd,
    model_cmd,
    calibrate_cmd,
    reward_cmd,
    report_cmd,
    serve_cmd,
    judge_cmd,
    kaggle_cmd,
    cache_cmd,
    pipeline_cmd,
):
    module.register(app)

err = Console(stderr=True)
register_version(app)  # --version [-v] before any command


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
