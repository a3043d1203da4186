"""WordLlama: static token embeddings (the `wordllama` package's bundled 256-dimension l2_supercat weights),
mean-pooled over a text's tokens. Loaded from the package's own folder with downloads disabled, so it works
offline.

Long texts: no window. A static encoder's cost is linear in the tokens and every token counts equally, so the
whole text is pooled (no truncation, no chunking). Batches are length-sorted and capped in padded characters, so
a few 30,000-character answers never pad a batch of short ones (WordLlama pads every batch to its longest text).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from arenapref.features.encoders.base import Encoder, folder_fingerprint, sorted_batches, unit_rows

CONFIG, DIM = "l2_supercat", 256
BATCH_TEXTS = 64
BATCH_CHARS = 400_000  # padded characters per batch: bounds the (texts x tokens x 256) float32 block at ~100 MB


class WordLlamaEncoder(Encoder):
    """WordLlama l2_supercat (256 dimensions) from the installed package, offline."""

    name = "wordllama"

    def __init__(self) -> None:
        self._model: Any = None
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
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Any:
        if self._model is None:
            from wordllama import WordLlama

            self._model = WordLlama.load(config=CONFIG, dim=DIM, cache_dir=self.package_dir(), disable_download=True)
        return self._model

    def encode(self, texts: list[str], sort: bool = True) -> np.ndarray:
        model = self.load()
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        for batch in sorted_batches(lengths, BATCH_TEXTS, BATCH_CHARS, sort):
            chunk = [texts[i] for i in batch]
            with np.errstate(invalid="ignore", divide="ignore"):  # an empty text pools 0 tokens: NaN, then zero
                out[batch] = model.embed(chunk, norm=False, batch_size=len(chunk))
        return unit_rows(out)
