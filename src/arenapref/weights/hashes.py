"""SHA-256 of weight files and checkpoint folders (read in blocks: weights can be large)."""

from __future__ import annotations

import hashlib
from pathlib import Path

_BLOCK = 1 << 20


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    _update(digest, path)
    return digest.hexdigest()


def checkpoint_hash(folder: Path) -> str:
    """SHA-256 over the names and bytes of a checkpoint folder's config.json and weight files (a LoRA adapter's
    base is recorded with it and checked on load)."""
    digest = hashlib.sha256()
    weights = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin"))
    for path in [folder / "config.json", *weights]:
        digest.update(path.name.encode() + b"\0")
        _update(digest, path)
    return digest.hexdigest()


def _update(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
