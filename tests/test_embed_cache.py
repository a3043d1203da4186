"""The embedding cache: hits, misses, invalidation when the encoder changes, float16 round trip, two processes
filling one cache at once, and the `arenapref cache` commands."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from arenapref.features.encoders import encode_cached
from arenapref.features.encoders.cache import ENV_VAR, EmbeddingCache, default_embedding_cache_dir
from cli_support import run
from embed_support import CountingEncoder, expected_vector, fill

TEXTS = ["the first answer", "a second, longer answer with more words", "", "the first answer", "ünïcode ✓"]


def test_miss_then_hit_gives_identical_vectors_without_encoding(tmp_path: Path) -> None:
    first = CountingEncoder()
    cold = encode_cached(first, TEXTS, EmbeddingCache(tmp_path))
    assert first.encoded == list(dict.fromkeys(TEXTS))  # each distinct text encoded once
    expected = np.vstack([expected_vector(t) for t in TEXTS]).astype(np.float16).astype(np.float32)
    assert np.array_equal(cold, expected)  # rounded to float16, the cache's precision, even when just encoded

    again = CountingEncoder()
    cache = EmbeddingCache(tmp_path)
    warm = encode_cached(again, TEXTS[::-1], cache)
    assert again.encoded == [] and not again.loaded  # a fully cached call never loads the encoder
    assert np.array_equal(warm, cold[::-1])
    assert cache.hits == 4 and cache.misses == 0


def test_only_missing_texts_are_encoded(tmp_path: Path) -> None:
    encode_cached(CountingEncoder(), TEXTS[:2], EmbeddingCache(tmp_path))
    encoder = CountingEncoder()
    encode_cached(encoder, TEXTS, EmbeddingCache(tmp_path))
    assert encoder.encoded == ["", "ünïcode ✓"]


def test_another_encoder_identity_misses(tmp_path: Path) -> None:
    encode_cached(CountingEncoder(version=1), TEXTS, EmbeddingCache(tmp_path))
    changed = CountingEncoder(version=2)
    encode_cached(changed, TEXTS, EmbeddingCache(tmp_path))
    assert changed.encoded == list(dict.fromkeys(TEXTS))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counting-v1", "counting-v2"]


def test_a_damaged_shard_is_encoded_again(tmp_path: Path) -> None:
    encode_cached(CountingEncoder(), TEXTS, EmbeddingCache(tmp_path))
    (shard,) = (tmp_path / "counting-v1").glob("shard-*.npz")
    shard.write_bytes(b"not a zip file")
    encoder = CountingEncoder()
    encode_cached(encoder, TEXTS, EmbeddingCache(tmp_path))
    assert len(encoder.encoded) == 4


def test_two_processes_fill_one_cache_at_once(tmp_path: Path) -> None:
    texts = [f"text number {i} " * (i % 7 + 1) for i in range(300)]
    halves = [texts[:200], texts[100:]]  # overlapping: 100 texts encoded by both
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=fill, args=(str(tmp_path), half)) for half in halves]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    folder = tmp_path / "counting-v1"
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp")]  # every shard renamed into place
    # 8 + 4 shards when one process found the other's shards for all 100 shared texts, up to 8 + 8 when neither did
    assert 12 <= len(list(folder.glob("shard-*.npz"))) <= 16
    reader = CountingEncoder()
    vectors = encode_cached(reader, texts, EmbeddingCache(tmp_path))
    assert reader.encoded == []
    expected = np.vstack([expected_vector(t) for t in texts]).astype(np.float16).astype(np.float32)
    assert np.array_equal(vectors, expected)


def test_default_location_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "here"))
    assert default_embedding_cache_dir() == tmp_path / "here"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_embedding_cache_dir() == tmp_path / "xdg" / "arenapref" / "embeddings"


def test_cache_info_and_clear_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    encode_cached(CountingEncoder(version=1), TEXTS, EmbeddingCache(tmp_path))
    encode_cached(CountingEncoder(version=2), TEXTS[:2], EmbeddingCache(tmp_path))
    code, out = run(monkeypatch, capsys, "cache", "info", "--cache-dir", tmp_path)
    assert code == 0 and "counting-v1" in out and "counting-v2" in out
    assert [line.split()[3] for line in out.splitlines() if "counting-v" in line] == ["4", "2"]  # distinct texts
    code, out = run(monkeypatch, capsys, "cache", "clear", "--encoder", "counting-v2", "--cache-dir", tmp_path)
    assert code == 0 and "MB freed" in out
    assert [p.name for p in tmp_path.iterdir()] == ["counting-v1"]
    monkeypatch.setenv(ENV_VAR, str(tmp_path))  # the default location comes from the environment
    code, out = run(monkeypatch, capsys, "cache", "clear")
    assert code == 0 and list(tmp_path.iterdir()) == []
    code, out = run(monkeypatch, capsys, "cache", "info")
    assert code == 0 and "empty" in out
