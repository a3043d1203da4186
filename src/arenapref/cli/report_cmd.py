"""`arenapref report` (one self-contained HTML page of the battles) and `arenapref leaderboard` (ratings)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from arenapref.data.errors import DataError
from arenapref.ranking.tie_models import TIE_MODELS

if TYPE_CHECKING:
    from arenapref.evaluation.summary import Evaluation
    from arenapref.report.inputs import InputFile

console = Console()
if not console.is_terminal:  # piped or captured: wide enough for the leaderboard table
    console = Console(width=160)
err = Console(stderr=True)


def report(
    files: list[Path] = typer.Argument(..., help="Files or folders of battles, any readable format."),
    out: Path = typer.Option(
        Path("report.html"), "-o", "--out", help="HTML page to write (figures also as PNG beside)."
    ),
    predictions: Path | None = typer.Option(
        None,
        "--predictions",
        help="Kaggle-format predictions (id, winner_model_a, winner_model_b, winner_tie) for "
        "the same battles: adds the evaluation figures.",
    ),
    swapped: Path | None = typer.Option(
        None, "--swapped", help="Predictions on the same battles with A and B swapped (position consistency)."
    ),
    fmt: str | None = typer.Option(None, "--format", help="Force a format instead of detecting it."),
) -> None:
    """Winner distribution, model usage and win rates, verbosity, position, turns, ties vs similarity, the
    readers' repair report and (with --predictions) the evaluation figures, in one HTML page."""
    from arenapref.report.inputs import read_inputs
    from arenapref.report.page import build_report

    inputs = read_inputs(files, fmt)
    evaluation = None
    if predictions is not None:
        evaluation = _evaluate(predictions, swapped, inputs)
    elif swapped is not None:
        raise typer.BadParameter("--swapped needs --predictions")
    built = build_report(inputs, evaluation)
    path = built.page.write(out)
    console.print(f"wrote {escape(str(path))} and {len(built.page.figures)} PNG figures in "
                  f"{escape(str(path.parent / (path.stem + '_figures')))}", highlight=False)  # fmt: skip
    for line in built.skipped:
        err.print(f"[yellow]not shown[/] {escape(line)}", highlight=False)


def _evaluate(predictions: Path, swapped: Path | None, inputs: list[InputFile]) -> Evaluation:
    from arenapref.evaluation.predictions import align, read_predictions
    from arenapref.evaluation.summary import evaluate
    from arenapref.report.inputs import combine

    battles = combine(inputs)
    if battles["id"].duplicated().any():
        dup = battles.loc[battles["id"].duplicated(), "id"].iloc[0]
        raise DataError(str(predictions), f"battle id {dup!r} occurs in more than one input file: predictions "
                        "cannot be matched; report one file at a time with --predictions", field="id")  # fmt: skip
    proba = align(read_predictions(predictions), battles["id"], predictions)
    proba_swapped = align(read_predictions(swapped), battles["id"], swapped) if swapped else None
    return evaluate(battles, proba, proba_swapped)


def leaderboard(
    files: list[Path] = typer.Argument(..., help="Files or folders of battles with model names and labels."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Folder for leaderboard.csv/.json, matrices and PNGs."),
    ties: str = typer.Option("bt", "--ties", help=f"Tie model: {', '.join(TIE_MODELS)} (bt: a tie is half a win)."),
    style: bool = typer.Option(True, "--style/--no-style", help="Also fit with style control (length, markdown)."),
    rounds: int = typer.Option(1000, "--rounds", min=0, help="Bootstrap rounds for the 95% intervals (0: none)."),
    anchor: str | None = typer.Option(None, "--anchor", help="Model fixed at --anchor-rating (default: the mean)."),
    anchor_rating: float = typer.Option(1000.0, "--anchor-rating", help="Rating of the anchor (or of the mean)."),
    pair: list[str] | None = typer.Option(
        None, "--pair", metavar="A,B", help="Print predicted probabilities of two models (repeat for more pairs)."
    ),
    top: int = typer.Option(25, "--top", min=2, help="Models shown in the pairwise matrices."),
    seed: int = typer.Option(0, "--seed"),
    jobs: int = typer.Option(1, "--jobs", help="Processes for the bootstrap (-1: all cores; see bench)."),
    fmt: str | None = typer.Option(None, "--format", help="Force a format instead of detecting it."),
) -> None:
    """Bradley-Terry ratings (Elo scale) with bootstrap intervals, with and without style control, the observed
    and predicted pairwise win rates; a table on the terminal and, with -o, CSV, JSON and PNG files."""
    from arenapref.report.inputs import rating_battles, read_inputs
    from arenapref.report.leaderboard import build_leaderboard, rich_output, write_leaderboard

    if ties not in TIE_MODELS:
        raise typer.BadParameter(f"{ties!r} is not one of {', '.join(TIE_MODELS)}", param_hint="--ties")
    pairs = [parse_pair(text) for text in pair or []]
    battles, skipped = rating_battles(read_inputs(files, fmt))
    notes = [f"left out {line}" for line in skipped]
    try:
        board = build_leaderboard(battles, style=style, top=top, notes=notes, kind=ties, rounds=rounds, anchor=anchor,
                                  anchor_rating=anchor_rating, seed=seed, n_jobs=jobs)  # fmt: skip
        predicted = [(a, b, board.plain.predict(a, b)) for a, b in pairs]
    except ValueError as exc:
        raise DataError(", ".join(map(str, files)), str(exc)) from None
    console.print(rich_output(board))
    for a, b, probs in predicted:
        tie = f", tie {probs[2]:.3f}" if ties != "bt" else " (bt: a tie counts half)"
        console.print(f"predicted: {escape(a)} wins {probs[0]:.3f}, {escape(b)} wins {probs[1]:.3f}{tie}")
    if out is not None:
        written = write_leaderboard(board, out)
        console.print(f"wrote {len(written)} files to {escape(str(out))}: " + ", ".join(p.name for p in written),
                      highlight=False)  # fmt: skip


def parse_pair(text: str) -> tuple[str, str]:
    """`A,B` as two model names."""
    names = [name.strip() for name in text.split(",")]
    if len(names) != 2 or not all(names):
        raise typer.BadParameter(f"expected two model names as A,B, got {text!r}", param_hint="--pair")
    return names[0], names[1]


def register(app: typer.Typer) -> None:
    """Add `report` and `leaderboard` to the app."""
    app.command("report")(report)
    app.command("leaderboard")(leaderboard)
