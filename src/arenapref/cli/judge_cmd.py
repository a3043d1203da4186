"""`arenapref judge FILE -o predictions.csv`: an LLM judges every battle in both orders (Kaggle submission out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from arenapref.cli.outputs import check_outputs
from arenapref.judge.defaults import MAX_RESPONSE_BYTES

console = Console()


def judge(
    file: Path = typer.Argument(..., help="Battles to judge (any format `data inspect` reads)."),
    out: Path = typer.Option(Path("predictions.csv"), "--out", "-o", help="Kaggle submission CSV to write."),
    backend: str = typer.Option("local", "--backend", help="openai (any OpenAI-compatible server) or local."),
    model: str | None = typer.Option(
        None, "--model", help="Served model name (openai), or checkpoint folder / GGUF file (local; default SmolLM2)."
    ),
    base_url: str | None = typer.Option(None, "--base-url", help="e.g. http://127.0.0.1:8000/v1 (openai backend)."),
    api_key_env: str = typer.Option(
        "OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the API key (never logged or cached)."
    ),
    prompt: Path | None = typer.Option(None, "--prompt", help="Judge prompt file (default: MT-bench's pair-v2)."),
    max_tokens: int = typer.Option(
        512, "--max-tokens", help="Judgement length (local: explanation tokens before the verdict is read)."
    ),
    max_chars: int = typer.Option(6000, "--max-chars", help="Cut each turn's text to this many characters."),
    logprobs: bool = typer.Option(True, "--logprobs/--no-logprobs", help="Ask an openai server for log-probabilities."),
    concurrency: int = typer.Option(4, "--concurrency", help="Requests in flight at once (openai)."),
    timeout: float = typer.Option(
        120.0, "--timeout", help="Seconds per request attempt, from connecting to the last byte; then it is retried."
    ),
    retries: int = typer.Option(5, "--retries", help="Retries on 429, 5xx, timeouts and dropped connections."),
    max_response_bytes: int = typer.Option(
        MAX_RESPONSE_BYTES, "--max-response-bytes", help="Largest answer read (decoded); a larger one fails."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Response cache (default $ARENAPREF_CACHE/judge); a rerun resumes from it."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Keep no responses between runs."),
    details: Path | None = typer.Option(
        None, "--details", help="Per-battle verdicts of both orders (default: OUT with .judge.csv)."
    ),
    fmt: str | None = typer.Option(None, "--format", help="Force the input format."),
    probes: int = typer.Option(
        0, "--probes", min=0, help="Also run the verbosity and self-enhancement probes on this many battles."
    ),
    judge_name: str | None = typer.Option(
        None, "--judge-name", help="Name the self-enhancement probe signs with (default: the model's name)."
    ),
) -> None:
    """Judge each battle in both orders with MT-bench's pairwise prompt; inconsistent orders become a tie. The
    probabilities come from the verdict's log-probabilities where the backend gives them, else from the votes."""
    from arenapref.data.io import read_battles
    from arenapref.judge.config import JudgeConfig, make_judge
    from arenapref.judge.model import default_cache_dir

    config = JudgeConfig(
        backend=backend,
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        template=str(prompt) if prompt else None,
        max_tokens=max_tokens,
        max_chars=max_chars,
        logprobs=logprobs,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=retries,
        max_response_bytes=max_response_bytes,
        cache_dir=None if no_cache else str(cache_dir or default_cache_dir()),
    )
    try:
        config.check()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    details_path = details or out.with_suffix(".judge.csv")
    probes_path = [out.with_suffix(".probes.json")] if probes > 0 else []
    check_outputs([file], [out, details_path, *probes_path], example="predictions.csv")
    battles, _ = read_battles(file, fmt)
    with console.status(f"loading the {backend} judge"):
        engine = make_judge(config)
    shown = _print_notes(engine.cache.notes, 0)
    try:
        result = _judge_with_progress(engine, battles)
        _print_notes(engine.cache.notes, shown)
        _print_summary(result, engine.backend, max_chars)
        kept = bool(result.errors) and _every_battle_failed(result) and out.exists()  # failed requests, not answers
        if kept:
            console.print(
                f"[red]no battle got a verdict[/]: kept the earlier {escape(str(out))} rather than replace it with "
                "uniform rows (nothing written)",
                highlight=False,
                soft_wrap=True,
            )
        else:
            _write(result, out, details_path)
            _print_agreement(battles, result)
            if probes > 0:
                model_name = str(engine.backend.model).rstrip("/").split("/")[-1]
                _run_probes(engine, battles, probes, judge_name or model_name, out)
    finally:
        engine.backend.close()
        engine.cache.close()
    if result.errors:
        first = escape(result.errors[0])
        console.print(f"[red]{len(result.errors)} requests failed[/], first: {first}", highlight=False, soft_wrap=True)
        console.print("rerun the same command to retry them (answered prompts come from the cache)")
    if result.errors or kept:
        raise typer.Exit(1)


def _judge_with_progress(engine: Any, battles: Any) -> Any:
    """engine.judge(battles) under a transient progress bar showing the running agreement."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("judging {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=2 * len(battles))

        def progress(done: int, total: int, agree: float | None) -> None:
            shown = "" if agree is None else f"(agreement so far {100 * agree:.1f}%)"
            bar.update(task, completed=done, total=total, description=shown)

        return engine.judge(battles, progress=progress)


def _print_notes(notes: list[str], start: int) -> int:
    """Print the cache's notes from index `start` on, one line each; how many there are now."""
    for note in notes[start:]:
        console.print(f"[yellow]warning:[/] {escape(note)}", highlight=False, soft_wrap=True)
    return len(notes)


def _every_battle_failed(result: Any) -> bool:
    """Whether no battle got a verdict in either order (every row would be uniform). The earlier file is kept only
    when requests failed too: answers the judge gave without a readable verdict are a result, not a failure."""
    return bool(result.counts["battles"]) and result.counts["no_verdict"] == result.counts["battles"]


def _write(result: Any, out: Path, details: Path) -> None:
    """The submission and the details file, each written whole or not at all."""
    from arenapref.data.atomic import replacing
    from arenapref.data.submission import write_submission

    write_submission(result.ids, result.proba, out)
    with replacing(details) as tmp:
        result.details().to_csv(tmp, index=False)
    console.print(f"wrote {escape(str(out))} and {escape(str(details))}", highlight=False, soft_wrap=True)
    if _every_battle_failed(result):
        uniform = f"[yellow]no battle got a verdict: {escape(str(out))} holds uniform rows[/]"
        console.print(uniform, highlight=False, soft_wrap=True)


def _print_summary(result: Any, backend: Any, max_chars: int) -> None:
    """The run's counts: requests, retries and waits, how orders were read, what was repaired or set aside."""
    c = result.counts
    retried = getattr(backend, "retries", 0)
    waits = f"; {retried:,} retried after waiting {getattr(backend, 'waited', 0.0):.1f} s in all" if retried else ""
    console.print(
        f"judged {c['battles']:,} battles ({c['requests']:,} prompts: {c['cached']:,} from the cache, "
        f"{c['asked']:,} asked, {c['failed']:,} failed{waits}) in {result.seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"orders: {c['consistent']:,} consistent, {c['inconsistent']:,} inconsistent (scored as ties), "
        f"{c['one_order_only']:,} with one usable order, {c['no_verdict']:,} with none (uniform); verdicts read "
        f"from text {c['orders_read_from_text']:,}, from log-probabilities {c['orders_read_from_logprobs']:,}, "
        f"unparseable {c['orders_read_from_unparseable']:,}; probabilities from log-probabilities "
        f"{c['proba_from_logprobs']:,}, from votes {c['proba_from_votes']:,}; texts cut to {max_chars} characters "
        f"in {c['truncated_battles']:,} battles",
        highlight=False,
        soft_wrap=True,
    )
    repaired = [
        (c["malformed_logprobs"], "answers with malformed log-probabilities (set aside; their verdict text used)"),
        (c["cache_damaged"], "damaged cache entries (asked again)"),
        (c["cache_write_failed"], "answers the cache could not store"),
    ]
    for n, what in repaired:
        if n:
            console.print(f"[yellow]{n:,} {what}[/]", highlight=False, soft_wrap=True)


def _print_agreement(battles: Any, result: Any) -> None:
    """Auto-J agreement with the human labels, where there are any."""
    from arenapref.judge.probes import agreement_both_orders

    labelled = battles["label"].notna().to_numpy()
    if not labelled.any():
        return
    agree = agreement_both_orders(
        battles["label"].to_numpy(dtype=float, na_value=-9)[labelled].astype(int),
        result.verdict_ab[labelled],
        result.verdict_ba[labelled],
    )
    console.print(
        f"agreement with the {agree.n:,} human labels (Auto-J protocol, both orders must match): "
        f"{100 * agree.agreement:.2f}%; consistency {100 * agree.consistency:.2f}%",
        highlight=False,
        soft_wrap=True,
    )


def _run_probes(engine: Any, battles: Any, n: int, name: str, out: Path) -> None:
    """The verbosity and self-enhancement probes on `n` battles; printed and written to OUT with .probes.json."""
    from arenapref.judge.probes import self_enhancement_probe, verbosity_probe

    with console.status("probing the judge's biases"):
        verbosity = verbosity_probe(engine, battles, n)
        enhancement = self_enhancement_probe(engine, battles, name, n)
    console.print(
        f"verbosity probe ({verbosity.n} answers against themselves repeated): padded preferred "
        f"{100 * verbosity.padded_wins:.1f}%, original {100 * verbosity.original_wins:.1f}%, tie "
        f"{100 * verbosity.tie:.1f}% of the verdicts",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"self-enhancement probe ({enhancement.n_signed} battles, one side signed {name!r}): the signed side's win "
        f"probability moves {100 * enhancement.signed_shift:+.2f} points; {enhancement.n_own} battles written by "
        f"{name!r}",
        highlight=False,
        soft_wrap=True,
    )
    from arenapref.data.atomic import replacing

    path = out.with_suffix(".probes.json")
    found = {"verbosity": verbosity.to_dict(), "self_enhancement": enhancement.to_dict()}
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(found, indent=1))
    console.print(f"wrote {escape(str(path))}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `judge` to the app."""
    app.command("judge")(judge)
