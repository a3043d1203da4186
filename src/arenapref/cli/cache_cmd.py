"""`arenapref cache info` and `arenapref cache clear`: the on-disk embedding cache (features.encoders.cache)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from arenapref.features.encoders.cache import EmbeddingCache

console = Console()
cache_app = typer.Typer(help="The embedding cache shared by train, predict and bench.", no_args_is_help=True)

CACHE_DIR_HELP = "Cache folder (default $ARENAPREF_EMBED_CACHE or ~/.cache/arenapref/embeddings)."


def _cache(cache_dir: Path | None) -> EmbeddingCache:
    from arenapref.features.encoders.cache import EmbeddingCache

    return EmbeddingCache(cache_dir)


@cache_app.command("info")
def info(cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP)) -> None:
    """Per encoder: distinct texts cached, shard files, invalid shards (set aside and encoded again; listed with
    why) and size on disk."""
    cache = _cache(cache_dir)
    entries = cache.info()
    console.print(f"embedding cache: {escape(str(cache.root))}", highlight=False)
    if not entries:
        console.print("empty")
        return
    table = Table()
    for column in ("encoder", "texts", "shards", "invalid", "MB"):
        table.add_column(column, justify="left" if column == "encoder" else "right")
    for entry in entries:
        counts = (entry.texts, entry.shards, len(entry.invalid))
        table.add_row(escape(entry.identity), *(f"{n:,}" for n in counts), f"{entry.bytes / 1e6:.1f}")
    console.print(table)
    for entry in entries:
        for name, why in sorted(entry.invalid.items()):
            line = f"invalid shard {entry.identity}/{name}: {why} (not used; its texts are encoded again)"
            console.print(escape(line), highlight=False, soft_wrap=True)


@cache_app.command("clear")
def clear(
    encoder: str | None = typer.Option(
        None, "--encoder", help="Only this encoder's entries (its name, e.g. minilm, or a full identity)."
    ),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP),
) -> None:
    """Delete cached embeddings (every encoder's, or one's)."""
    cache = _cache(cache_dir)
    freed = cache.clear(encoder)
    what = f"encoder {encoder}" if encoder else "every encoder"
    console.print(f"cleared {escape(what)} in {escape(str(cache.root))}: {freed / 1e6:.1f} MB freed", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `cache` command group to the app."""
    app.add_typer(cache_app, name="cache")
