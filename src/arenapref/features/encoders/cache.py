"""The on-disk embedding cache, shared by train, predict and bench: the only code that knows its layout.

Layout: <root>/<encoder identity>/shard-*.npz, each shard holding `keys` (n, 16) uint8, the BLAKE2b-128 digests
of the UTF-8 texts, and `vectors` (n, dim) float16. A fill writes one new shard under a temporary name and renames
it into place (atomic on POSIX), so readers never see half a shard and two processes filling the same cache at
once each add their own shards (a text both encoded is stored twice, harmlessly). A different encoder (other
weights, window or encoding scheme) has another identity, hence another folder: its vectors are never mixed up.

Root: the `root` argument, else $ARENAPREF_EMBED_CACHE, else $XDG_CACHE_HOME/arenapref/embeddings, else
~/.cache/arenapref/embeddings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ENV_VAR = "ARENAPREF_EMBED_CACHE"
KEY_BYTES = 16
SHARD_GLOB = "shard-*.npz"


def default_embedding_cache_dir() -> Path:
    """$ARENAPREF_EMBED_CACHE, else $XDG_CACHE_HOME/arenapref/embeddings, else ~/.cache/arenapref/embeddings."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "arenapref" / "embeddings"


def text_keys(texts: list[str]) -> list[bytes]:
    """The cache key of each text: BLAKE2b-128 of its UTF-8 bytes (lone surrogates escaped)."""
    return [hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=KEY_BYTES).digest() for t in texts]


@dataclass
class _Index:
    """The shards of one encoder read so far: key -> (shard number, row)."""

    shards: dict[str, np.ndarray] = field(default_factory=dict)  # file name -> vectors
    names: list[str] = field(default_factory=list)
    where: dict[bytes, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class EncoderEntry:
    """What `cache info` shows for one encoder folder."""

    identity: str
    texts: int
    shards: int
    bytes: int


class EmbeddingCache:
    """Float16 vectors per (encoder identity, text hash) under `root`; an in-memory index of the shards read."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_embedding_cache_dir()
        self._indexes: dict[str, _Index] = {}
        self.hits = self.misses = 0

    def lookup(self, identity: str, keys: list[bytes]) -> tuple[np.ndarray | None, np.ndarray]:
        """(vectors float16 with zero rows where missing, or None when nothing is cached; found mask)."""
        index = self._refresh(identity)
        found = np.zeros(len(keys), dtype=bool)
        if not index.where:
            self.misses += len(keys)
            return None, found
        dim = next(iter(index.shards.values())).shape[1]
        out = np.zeros((len(keys), dim), dtype=np.float16)
        for i, key in enumerate(keys):
            place = index.where.get(key)
            if place is not None:
                out[i] = index.shards[index.names[place[0]]][place[1]]
                found[i] = True
        self.hits += int(found.sum())
        self.misses += int((~found).sum())
        return out, found

    def store(self, identity: str, keys: list[bytes], vectors: np.ndarray) -> None:
        """Add one shard (written under a temporary name, then renamed into place)."""
        if not keys:
            return
        folder = self.root / identity
        folder.mkdir(parents=True, exist_ok=True)
        name = f"shard-{uuid.uuid4().hex}.npz"
        tmp = folder / f".tmp-{os.getpid()}-{name}"
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
        with tmp.open("wb") as handle:
            np.savez(handle, keys=key_array, vectors=np.asarray(vectors, dtype=np.float16))
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(folder / name)

    def _refresh(self, identity: str) -> _Index:
        """The index of an encoder's folder, extended by shards other processes added since the last read."""
        index = self._indexes.setdefault(identity, _Index())
        folder = self.root / identity
        if not folder.is_dir():
            return index
        for path in sorted(folder.glob(SHARD_GLOB)):
            if path.name in index.shards:
                continue
            try:
                with np.load(path) as shard:
                    keys, vectors = shard["keys"], shard["vectors"]
            except (OSError, ValueError, KeyError):  # unreadable shard: its texts are encoded again
                continue
            number = len(index.names)
            index.names.append(path.name)
            index.shards[path.name] = vectors
            for row, key in enumerate(keys):
                index.where.setdefault(key.tobytes(), (number, row))
        return index

    def info(self) -> list[EncoderEntry]:
        """One entry per encoder folder: distinct texts, shards and bytes on disk."""
        entries: list[EncoderEntry] = []
        if not self.root.is_dir():
            return entries
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            shards = sorted(folder.glob(SHARD_GLOB))
            keys: set[bytes] = set()
            for path in shards:
                try:
                    with np.load(path) as shard:
                        keys.update(k.tobytes() for k in shard["keys"])
                except (OSError, ValueError, KeyError):
                    continue
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            entries.append(EncoderEntry(folder.name, len(keys), len(shards), size))
        return entries

    def clear(self, identity: str | None = None) -> int:
        """Delete one encoder's folder (identity, or a prefix such as 'minilm') or every one; returns bytes freed."""
        freed = 0
        if not self.root.is_dir():
            return freed
        for folder in [p for p in self.root.iterdir() if p.is_dir()]:
            if identity is None or folder.name == identity or folder.name.startswith(f"{identity}-"):
                freed += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
                shutil.rmtree(folder)
                self._indexes.pop(folder.name, None)
        return freed
