"""A weight-free encoder for cache tests: deterministic vectors from each text's hash, counting what it encodes."""

from __future__ import annotations

import hashlib

import numpy as np

from arenapref.features.encoders.base import Encoder, unit_rows

DIM = 8


def expected_vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return unit_rows(np.random.default_rng(seed).normal(size=(1, DIM)))[0]


class CountingEncoder(Encoder):
    """Vectors derived from each text's hash; `encoded` lists every text it was asked to encode."""

    name = "counting"

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.encoded: list[str] = []
        self._loaded = False

    @property
    def identity(self) -> str:
        return f"counting-v{self.version}"

    @property
    def dim(self) -> int:
        return DIM

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        self._loaded = True

    def encode(self, texts: list[str], sort: bool = True) -> np.ndarray:
        self.load()
        self.encoded += texts
        return np.vstack([expected_vector(t) for t in texts]).astype(np.float32)


def fill(root: str, texts: list[str]) -> None:
    """Encode `texts` through the cache at `root` (a child process's job in the two-process test)."""
    from arenapref.features.encoders import encode_cached
    from arenapref.features.encoders.cache import EmbeddingCache

    for start in range(0, len(texts), 25):  # several shards per process, interleaved with the other's
        encode_cached(CountingEncoder(), texts[start : start + 25], EmbeddingCache(root))
