"""The on-disk embedding cache, shared by train, predict and bench: the only code that knows its layout.

Layout: <root>/<encoder identity>/shard-*.npz, each shard holding `keys` (n, 16) uint8, the BLAKE2b-128 digests
of the UTF-8 texts, and `vectors` (n, dim) float16. A fill writes one new shard under a temporary name and renames
it into place (atomic on POSIX), so readers never see half a shard and two processes filling the same cache at
once each add their own shards (a text both encoded is stored twice, harmlessly). A different encoder (other
weights, window or encoding scheme) has another identity, hence another folder: its vectors are never mixed up.
Every shard read is validated (readable; keys (n, 16) uint8; as many float16 vectors, all finite, of the encoder's
width): an invalid one is set aside, its texts encoded again, and `cache info` lists it with why. A root or an
encoder folder that is a file is a DataError (one line, exit 2), as is a shard that cannot be written.

Root: the `root` argument, else $ARENAPREF_EMBED_CACHE, else $XDG_CACHE_HOME/arenapref/embeddings, else
~/.cache/arenapref/embeddings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
import zipfile
import zlib
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from arenapref.data.errors import DataError

ENV_VAR = "ARENAPREF_EMBED_CACHE"
KEY_BYTES = 16
SHARD_GLOB = "shard-*.npz"
_ROOT_HINT = f"set ${ENV_VAR} (or --cache-dir) to a folder"


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
    """The shards of one encoder read so far: key -> (shard number, row); `skipped`: invalid shards set aside."""

    shards: dict[str, np.ndarray] = field(default_factory=dict)  # file name -> vectors
    names: list[str] = field(default_factory=list)
    where: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> why it is invalid
    width: int | None = None  # of every vector used


@dataclass(frozen=True)
class EncoderEntry:
    """What `cache info` shows for one encoder folder; `invalid`: shard file name -> why it is not used."""

    identity: str
    texts: int
    shards: int
    bytes: int
    invalid: dict[str, str] = field(default_factory=dict)


class ShardError(ValueError):
    """A shard file that cannot be used (unreadable, or not the shape, dtype or values a shard has)."""


#: What reading a damaged .npz raises: a zero-byte file EOFError, a damaged archive BadZipFile or zlib.error.
_READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


def read_shard(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(keys (n, 16) uint8, vectors (n, dim) float16) of a shard; ShardError saying why when it is unreadable or
    its arrays are not what a shard holds (shape, dtype, counts, finite values)."""
    try:
        with np.load(path) as shard:
            keys, vectors = shard["keys"], shard["vectors"]
    except _READ_ERRORS as exc:
        raise ShardError(f"unreadable ({type(exc).__name__})") from None
    if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != KEY_BYTES:
        raise ShardError(f"keys are {keys.dtype} {keys.shape}, not uint8 (n, {KEY_BYTES})")
    if vectors.dtype != np.float16 or vectors.ndim != 2 or vectors.shape[1] == 0:
        raise ShardError(f"vectors are {vectors.dtype} {vectors.shape}, not float16 (n, dim)")
    if len(keys) != len(vectors):
        raise ShardError(f"{len(keys)} keys for {len(vectors)} vectors")
    if not len(keys):
        raise ShardError("no vectors")
    if not np.isfinite(vectors).all():
        raise ShardError("vectors hold NaN or infinite values")
    return keys, vectors


Shard = tuple[np.ndarray, np.ndarray]


def scan_shards(folder: Path, seen: Collection[str] = ()) -> tuple[dict[str, Shard], dict[str, str]]:
    """The shards of an encoder folder not in `seen`: the readable well-formed ones (file name -> (keys,
    vectors)) and the others (file name -> why)."""
    valid: dict[str, Shard] = {}
    invalid: dict[str, str] = {}
    for path in sorted(folder.glob(SHARD_GLOB)):
        if path.name in seen:
            continue
        try:
            valid[path.name] = read_shard(path)
        except ShardError as exc:
            invalid[path.name] = str(exc)
    return valid, invalid


def vector_width(shards: Iterable[np.ndarray]) -> int | None:
    """The width most of the cached vectors have (None when there are none): an encoder's vectors have one
    width, so shards of another are invalid."""
    counts: Counter[int] = Counter()
    for vectors in shards:
        counts[vectors.shape[1]] += len(vectors)
    return counts.most_common(1)[0][0] if counts else None


class EmbeddingCache:
    """Float16 vectors per (encoder identity, text hash) under `root`; an in-memory index of the shards read."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_embedding_cache_dir()
        self._indexes: dict[str, _Index] = {}
        self.hits = self.misses = 0

    def lookup(
        self, identity: str, keys: list[bytes], width: int | None = None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """(vectors float16 with zero rows where missing, or None when nothing is cached; found mask). `width`:
        the encoder's vector length when known (shards of another are invalid; else the most common one)."""
        index = self._refresh(identity, width)
        found = np.zeros(len(keys), dtype=bool)
        if not index.where or index.width is None:
            self.misses += len(keys)
            return None, found
        out = np.zeros((len(keys), index.width), dtype=np.float16)
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
        folder = self._folder(identity)
        name = f"shard-{uuid.uuid4().hex}.npz"
        tmp = folder / f".tmp-{os.getpid()}-{name}"
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as handle:
                np.savez(handle, keys=key_array, vectors=np.asarray(vectors, dtype=np.float16))
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(folder / name)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DataError(str(folder), f"cannot write the embedding cache: {exc.strerror or exc}") from None

    def _check_root(self) -> None:
        """DataError when the root is there but is not a folder."""
        if self.root.exists() and not self.root.is_dir():
            raise DataError(str(self.root), "the embedding cache is a file, not a folder", hint=_ROOT_HINT)

    def _folder(self, identity: str) -> Path:
        """The encoder's folder; DataError when it (or the root) is there but is not a folder."""
        self._check_root()
        folder = self.root / identity
        if folder.exists() and not folder.is_dir():
            hint = f"run `arenapref cache clear --encoder {identity}`"
            raise DataError(str(folder), "is a file, not an encoder's cache folder", hint=hint)
        return folder

    def _encoder_folders(self) -> list[Path]:
        """The encoder folders under the root (none when there is no root yet)."""
        if not self.root.exists():
            return []
        self._check_root()
        return sorted(p for p in self.root.iterdir() if p.is_dir())

    def _refresh(self, identity: str, width: int | None = None) -> _Index:
        """The index of an encoder's folder, extended by shards other processes added since the last read; invalid
        shards (unreadable, malformed, another width) are set aside in `skipped`, so their texts are encoded again.
        `width`: the encoder's vector length when known, else the one most cached vectors have."""
        index = self._indexes.get(identity)
        if index is None or (width is not None and index.width not in (None, width)):
            index = self._indexes[identity] = _Index(width=width)
        folder = self._folder(identity)
        if not folder.is_dir():
            return index
        valid, invalid = scan_shards(folder, {*index.shards, *index.skipped})
        index.skipped.update(invalid)
        index.width = index.width or vector_width(vectors for _, vectors in valid.values())
        for name, (keys, vectors) in valid.items():
            if vectors.shape[1] != index.width:
                index.skipped[name] = f"vectors {vectors.shape[1]} wide, not the encoder's {index.width}"
                continue
            number = len(index.names)
            index.names.append(name)
            index.shards[name] = vectors
            for row, key in enumerate(keys):
                index.where.setdefault(key.tobytes(), (number, row))
        return index

    def info(self) -> list[EncoderEntry]:
        """One entry per encoder folder: distinct texts in valid shards, shard files, bytes on disk and the
        invalid shards (with why)."""
        entries: list[EncoderEntry] = []
        for folder in self._encoder_folders():
            index = self._refresh(folder.name)
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            shards = len(index.names) + len(index.skipped)
            entries.append(EncoderEntry(folder.name, len(index.where), shards, size, dict(index.skipped)))
        return entries

    def clear(self, identity: str | None = None) -> int:
        """Delete one encoder's folder (identity, or a prefix such as 'minilm') or every one; returns bytes freed.
        A folder that is a symbolic link is unlinked, its target left as it is."""
        freed = 0
        if not self.root.exists():
            return freed
        self._check_root()
        for entry in sorted(self.root.iterdir()):
            if identity is None or entry.name == identity or entry.name.startswith(f"{identity}-"):
                freed += _remove(entry)
                self._indexes.pop(entry.name, None)
        return freed


def _remove(entry: Path) -> int:
    """Delete a cache entry (a folder, a stray file, a link: the link only); returns the bytes freed."""
    if entry.is_symlink() or not entry.is_dir():
        size = 0 if entry.is_symlink() else entry.stat().st_size
        entry.unlink()
        return size
    size = sum(p.stat().st_size for p in entry.rglob("*") if p.is_file() and not p.is_symlink())
    shutil.rmtree(entry)
    return size
