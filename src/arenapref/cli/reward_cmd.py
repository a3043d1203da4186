"""`arenapref rank MODEL_DIR FILE -o ranked.jsonl`: best-of-n ranking of every prompt's candidates."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from arenapref.data.errors import DataError
from arenapref.reward.limits import MAX_CANDIDATES

console = Console()


def rank(
    model_dir: Path = typer.Argument(..., help="Model directory written by `arenapref train`."),
    file: Path = typer.Argument(
        ..., help="Rows of {id, prompt, candidates} (JSONL, JSON or parquet), or any battle file (grouped by prompt)."
    ),
    out: Path = typer.Option(Path("ranked.jsonl"), "--out", "-o", help="JSONL to write (parquet for a .parquet name)."),
    max_candidates: int = typer.Option(MAX_CANDIDATES, min=1, help="Most candidates per prompt; more is refused."),
) -> None:
    """Rank each prompt's candidates: every pair compared in both orders, Bradley-Terry scores over the pairwise
    probabilities (a tie counts half), Copeland wins beside them; writes scores, ranks and the best index."""
    from arenapref.reward.files import read_rank_input, write_rankings
    from arenapref.reward.inputs import InputError
    from arenapref.reward.model import load
    from arenapref.reward.rank import CandidateLimitError

    started = time.perf_counter()
    if out.is_dir():
        raise DataError(str(out), "is a folder; give a file name, e.g. ranked.jsonl")
    model = load(model_dir, max_candidates=max_candidates)
    data = read_rank_input(file)
    if data.note:
        console.print(escape(data.note), highlight=False)
    columns = (TextColumn("ranking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("rank", total=len(data))
        try:
            rankings = model.rank_many(data.prompts, data.candidates, lambda k: progress.advance(task, k))
        except InputError as exc:
            row = None if exc.row is None else data.rows[exc.row]
            where = "" if exc.row is None or row is not None else f"{data.ids[exc.row]}: "
            hint = " (--max-candidates)" if isinstance(exc, CandidateLimitError) else ""
            raise DataError(str(file), f"{where}{exc.message}{hint}", row=row, field=exc.field) from None
    records = []
    for k, ranking in enumerate(rankings):
        record = {"id": data.ids[k], **ranking.to_dict()}
        record.update({name: values[k] for name, values in data.extra.items()})
        records.append(record)
    write_rankings(records, out)
    candidates = sum(len(c) for c in data.candidates)
    seconds = time.perf_counter() - started
    console.print(
        f"wrote {escape(str(out))}: {len(records):,} prompts, {candidates:,} candidates in {seconds:.1f} s",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("rank")(rank)
