"""`arenapref judge FILE -o predictions.csv`: an LLM judges every battle in both orders (Kaggle submission out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

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
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds per request before it is retried."),
    retries: int = typer.Option(5, "--retries", help="Retries on 429, 5xx, timeouts and dropped connections."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Response cache (default $ARENAPREF_CACHE/judge); a rerun resumes from it."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Keep no responses between runs."),
    details: Path | None = typer.Option(
        None, "--details", help="Per-battle verdicts of both orders (default: OUT with .judge.csv)."
    ),
    fmt: str | None = typer.Option(None, "--format", help="Force the input format."),
    probes: int = typer.Option(
        0, "--probes", help="Also run the verbosity and self-enhancement probes on this many battles."
    ),
    judge_name: str | None = typer.Option(
        None, "--judge-name", help="Name the self-enhancement probe signs with (default: the model's name)."
    ),
) -> None:
    """Judge each battle in both orders with MT-bench's pairwise prompt; inconsistent orders become a tie. The
    probabilities come from the verdict's log-probabilities where the backend gives them, else from the votes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from arenapref.data.io import read_battles
    from arenapref.data.submission import write_submission
    from arenapref.judge.config import JudgeConfig, make_judge
    from arenapref.judge.model import default_cache_dir
    from arenapref.judge.probes import agreement_both_orders

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
        cache_dir=None if no_cache else str(cache_dir or default_cache_dir()),
    )
    try:
        config.check()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    battles, _ = read_battles(file, fmt)
    with console.status(f"loading the {backend} judge"):
        engine = make_judge(config)
    columns = (TextColumn("judging {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=2 * len(battles))

        def progress(done: int, total: int, agree: float | None) -> None:
            shown = "" if agree is None else f"(agreement so far {100 * agree:.1f}%)"
            bar.update(task, completed=done, total=total, description=shown)

        result = engine.judge(battles, progress=progress)
    write_submission(result.ids, result.proba, out)
    details_path = details or out.with_suffix(".judge.csv")
    result.details().to_csv(details_path, index=False)
    c = result.counts
    console.print(
        f"judged {c['battles']:,} battles ({c['requests']:,} prompts: {c['cached']:,} from the cache, "
        f"{c['asked']:,} asked, {c['failed']:,} failed) in {result.seconds:.1f} s",
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
    labelled = battles["label"].notna().to_numpy()
    if labelled.any():
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
    console.print(f"wrote {escape(str(out))} and {escape(str(details_path))}", highlight=False, soft_wrap=True)
    if probes > 0:
        _run_probes(engine, battles, probes, judge_name or str(engine.backend.model).rstrip("/").split("/")[-1], out)
    engine.backend.close()
    if result.errors:
        first = escape(result.errors[0])
        console.print(f"[red]{len(result.errors)} requests failed[/], first: {first}", highlight=False, soft_wrap=True)
        console.print("rerun the same command to retry them (answered prompts come from the cache)")
        raise typer.Exit(1)


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
    path = out.with_suffix(".probes.json")
    path.write_text(json.dumps({"verbosity": verbosity.to_dict(), "self_enhancement": enhancement.to_dict()}, indent=1))
    console.print(f"wrote {escape(str(path))}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `judge` to the app."""
    app.command("judge")(judge)
