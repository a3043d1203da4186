"""The encoder interface: texts -> l2-normalised float32 vectors, with an identity that names the exact weights
and encoding scheme without loading them (the embedding cache's key), and length-sorted batching."""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

#: Bumped whenever how texts are windowed or pooled changes: cached vectors of another scheme are not reused.
ENCODING_VERSION = 1
#: Files up to this size enter an encoder's identity by content, larger ones (weights) by name and size.
_CONTENT_HASH_MAX_BYTES = 1 << 20
_IGNORED = frozenset({".cache", "__pycache__"})


class Encoder(ABC):
    """A sentence encoder. `identity` is cheap (no weights loaded); `encode` loads the weights on first use."""

    name: str

    @property
    def spec(self) -> str:
        """The fully resolved spec (features.encoders.get_encoder) that builds this encoder on any machine."""
        return self.name

    @property
    @abstractmethod
    def identity(self) -> str:
        """A folder-safe name for these weights and this encoding scheme, e.g. 'minilm-3f2a9c...'."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of one vector."""

    @property
    def known_dim(self) -> int | None:
        """The vector length when it is known without loading the weights (the embedding cache checks cached
        vectors against it); None when only `dim`, which may load them, can tell."""
        return self.dim if self.loaded else None

    @property
    @abstractmethod
    def loaded(self) -> bool:
        """Whether the weights are in memory (a fully cached run never loads them)."""

    @abstractmethod
    def load(self) -> Any:
        """The underlying model, its weights loaded on the first call."""

    @abstractmethod
    def encode(self, texts: list[str], sort: bool = True) -> np.ndarray:
        """(len(texts), dim) float32, rows of unit length (zeros for an empty text). `sort`: batch texts of
        similar length together (False: in the order given, the naive baseline of the throughput benchmark)."""


def folder_fingerprint(folder: Path, *extra: object) -> str:
    """SHA-256 (hex) over a folder's files: relative names and sizes, and the content of the small ones (configs,
    tokenizers), plus `extra` settings and ENCODING_VERSION. Weights enter by size: cheap, changes with them.
    Caches and compiled bytecode (__pycache__: its header holds the install time) are left out, so the same
    package installed on another machine (a Kaggle kit's venv) has the same fingerprint."""
    digest = hashlib.sha256(repr((ENCODING_VERSION, *extra)).encode())
    files = (p for p in folder.rglob("*") if p.is_file() and not _IGNORED.intersection(p.relative_to(folder).parts))
    for path in sorted(files):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder)}:{size}".encode())
        if size <= _CONTENT_HASH_MAX_BYTES:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def sorted_batches(lengths: np.ndarray, max_items: int, max_units: int, sort: bool = True) -> Iterator[np.ndarray]:
    """Positions of texts in batches of at most `max_items` texts and about `max_units` length units (tokens or
    characters) including padding to the batch's longest text; with `sort`, longest first, so each batch pads to
    a length near its own texts' and the memory peak comes first."""
    order = np.argsort(-lengths, kind="stable") if sort else np.arange(len(lengths))
    start = 0
    while start < len(order):
        stop = start + 1
        longest = max(int(lengths[order[start]]), 1)
        while stop < len(order) and stop - start < max_items:
            longest_next = max(longest, int(lengths[order[stop]]))
            if longest_next * (stop - start + 1) > max_units:
                break
            longest, stop = longest_next, stop + 1
        yield order[start:stop]
        start = stop


def machine_threads() -> int:
    """CPU cores this process may run on (its affinity mask, else os.cpu_count())."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32; zero (or non-finite) rows become zeros."""
    vectors = np.nan_to_num(np.asarray(vectors, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > 0)
