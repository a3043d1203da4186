"""`arenapref --version` (and, with -v, the versions of the libraries the models use), read without importing them."""

from __future__ import annotations

import platform
import sys

import typer

from arenapref import __version__

#: Distributions whose versions change what a model computes or how it runs (PyPI names).
LIBRARIES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "sentence-transformers",
    "fastapi",
    "pydantic",
)


def library_versions() -> dict[str, str | None]:
    """Installed version of each of LIBRARIES (None when absent), from package metadata: nothing is imported."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def version_lines(verbose: bool) -> list[str]:
    """`arenapref X.Y.Z`; with `verbose`, also Python and one line per library."""
    lines = [f"arenapref {__version__}"]
    if verbose:
        lines.append(f"python {platform.python_version()} ({sys.executable})")
        width = max(map(len, LIBRARIES))
        lines += [f"  {name:<{width}}  {v or 'not installed'}" for name, v in library_versions().items()]
    return lines


def root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", help="Show the version and exit (with -v: library versions)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="With --version: also the model libraries' versions."),
) -> None:
    """Predict, evaluate, explain and serve human preferences between two chatbot responses."""
    if version:
        typer.echo("\n".join(version_lines(verbose)))
        raise typer.Exit()
    if ctx.invoked_subcommand is None:  # `arenapref -v` alone: the help, as `arenapref` alone gives
        typer.echo(ctx.get_help())
        raise typer.Exit()


def register(app: typer.Typer) -> None:
    """Make `root` the app's callback: its options come before any command (`arenapref --version -v`)."""
    app.callback(invoke_without_command=True)(root)
