"""WordLlama: static token embeddings (the `wordllama` package's bundled 256-dimension l2_supercat weights),
mean-pooled over a text's tokens. Loaded from the package's own folder with downloads disabled, so it works
offline.

Long texts: no window. A static encoder's cost is linear in the tokens and every token counts equally, so the
whole text is pooled (no truncation, no chunking).

Pooling without padding: the package's own `embed` pads each batch to its longest text and gathers a
(texts x tokens x 256) block. Here the token ids of a batch become a sparse (texts x vocabulary) count matrix, and
its product with the embedding table is the sum of each text's token vectors: no padding and no gather, about 4x
faster here, the same vectors to float32 rounding. Batches are still length-sorted and capped in characters,
which bounds the tokenizer's memory; with no padding, their order hardly changes the cost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from arenapref.features.encoders.base import Encoder, folder_fingerprint, sorted_batches, unit_rows

CONFIG, DIM = "l2_supercat", 256
BATCH_TEXTS = 1024
BATCH_CHARS = 4_000_000  # characters per batch (padded to the batch's longest): bounds the tokenizer's memory


class WordLlamaEncoder(Encoder):
    """WordLlama l2_supercat (256 dimensions) from the installed package, offline."""

    name = "wordllama"

    def __init__(self) -> None:
        self._model: Any = None
        self._tokenizer: Any = None
        self._identity: str | None = None

    @staticmethod
    def package_dir() -> Path:
        import wordllama  # only the package folder is needed here

        return Path(wordllama.__file__).parent

    @property
    def identity(self) -> str:
        if self._identity is None:
            root = self.package_dir()
            weights = folder_fingerprint(root / "weights", CONFIG, DIM)
            tokenizer = folder_fingerprint(root / "tokenizers")
            self._identity = f"{self.name}-{CONFIG}-{DIM}-{weights[:8]}{tokenizer[:8]}"
        return self._identity

    @property
    def dim(self) -> int:
        return DIM

    @property
    def known_dim(self) -> int | None:
        return DIM

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Any:
        if self._model is None:
            from wordllama import WordLlama

            self._model = WordLlama.load(config=CONFIG, dim=DIM, cache_dir=self.package_dir(), disable_download=True)
        return self._model

    def _unpadded_tokenizer(self) -> Any:
        """A copy of the model's tokenizer without padding (pooling below needs ids only; the model's own `embed`
        keeps its padded one)."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_str(self.load().tokenizer.to_str())
            self._tokenizer.no_padding()
        return self._tokenizer

    def encode(self, texts: list[str], sort: bool = True) -> np.ndarray:
        table = np.asarray(self.load().embedding, dtype=np.float32)
        tokenizer = self._unpadded_tokenizer()
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        for batch in sorted_batches(lengths, BATCH_TEXTS, BATCH_CHARS, sort):
            encodings = tokenizer.encode_batch([texts[i] for i in batch], add_special_tokens=False)
            out[batch] = _sum_pool(encodings, table)
        return unit_rows(out)  # mean and sum pooling give the same unit vector; no token: a zero vector


def _sum_pool(encodings: list[Any], table: np.ndarray) -> np.ndarray:
    """(texts, dim) sums of each text's token vectors, through a sparse (texts x vocabulary) count matrix."""
    counts = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
    ids = np.fromiter((i for e in encodings for i in e.ids), dtype=np.int64, count=int(counts.sum()))
    np.clip(ids, 0, len(table) - 1, out=ids)  # as the package does for out-of-range ids
    rows = np.repeat(np.arange(len(encodings)), counts)
    bag = sp.csr_matrix((np.ones(len(ids), dtype=np.float32), (rows, ids)), shape=(len(encodings), len(table)))
    return np.asarray(bag @ table, dtype=np.float32)
