"""A damaged embedding cache (issue 24 item 8): every shard read is validated (readable, shapes, dtypes, counts,
finite values, the encoder's width); an invalid shard is skipped, its texts encoded again, and `cache info` lists
it. A cache root that is a file is one line and exit 2; `cache clear` unlinks a symlinked encoder folder. The
benchmark's run cache beside it: a damaged entry is a miss."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.errors import DataError
from arenapref.features.encoders import encode_cached
from arenapref.features.encoders.cache import ENV_VAR, EmbeddingCache
from cli_support import run
from embed_support import DIM, CountingEncoder, expected_vector

TEXTS = ["the first answer", "a second, longer answer with more words", "", "ünïcode ✓", "a fifth text"]


def _expected(texts: list[str]) -> np.ndarray:
    return np.vstack([expected_vector(t) for t in texts]).astype(np.float16).astype(np.float32)


def _shard(folder: Path) -> Path:
    (shard,) = folder.glob("shard-*.npz")
    return shard


def _keys(shard: Path) -> np.ndarray:
    with np.load(shard) as data:
        return np.array(data["keys"])


def _zero_bytes(shard: Path) -> None:
    shard.write_bytes(b"")


def _wider(shard: Path) -> None:
    keys = _keys(shard)
    np.savez(shard, keys=keys, vectors=np.ones((len(keys), DIM + 3), dtype=np.float16))


def _fewer_vectors(shard: Path) -> None:
    keys = _keys(shard)
    np.savez(shard, keys=keys, vectors=np.ones((len(keys) - 1, DIM), dtype=np.float16))


def _not_finite(shard: Path) -> None:
    keys = _keys(shard)
    np.savez(shard, keys=keys, vectors=np.full((len(keys), DIM), np.nan, dtype=np.float16))


def _float64(shard: Path) -> None:
    keys = _keys(shard)
    np.savez(shard, keys=keys, vectors=np.ones((len(keys), DIM)))


def _short_keys(shard: Path) -> None:
    keys = _keys(shard)
    np.savez(shard, keys=keys[:, :4], vectors=np.ones((len(keys), DIM), dtype=np.float16))


def _truncated(shard: Path) -> None:
    shard.write_bytes(shard.read_bytes()[:200])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "zero bytes": _zero_bytes,
    "another width": _wider,
    "fewer vectors than keys": _fewer_vectors,
    "NaN vectors": _not_finite,
    "float64 vectors": _float64,
    "short keys": _short_keys,
    "truncated archive": _truncated,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_an_invalid_shard_is_skipped_encoded_again_and_reported(tmp_path: Path, damage: str) -> None:
    encode_cached(CountingEncoder(), TEXTS[:3], EmbeddingCache(tmp_path))  # one shard: the first three texts
    encode_cached(CountingEncoder(), TEXTS, EmbeddingCache(tmp_path))  # a second shard: the other two
    damaged = next(p for p in (tmp_path / "counting-v1").glob("shard-*.npz") if len(_keys(p)) == 2)
    DAMAGE[damage](damaged)
    encoder = CountingEncoder()
    vectors = encode_cached(encoder, TEXTS, EmbeddingCache(tmp_path))
    assert np.array_equal(vectors, _expected(TEXTS))  # right answers, the right width
    assert sorted(encoder.encoded) == sorted(TEXTS[3:])  # only the damaged shard's texts encoded again
    (entry,) = EmbeddingCache(tmp_path).info()
    assert list(entry.invalid) == [damaged.name] and entry.texts == 5  # a new shard holds them again


def test_a_wider_only_shard_is_not_used_when_the_encoder_knows_its_width(tmp_path: Path) -> None:
    encode_cached(CountingEncoder(), TEXTS, EmbeddingCache(tmp_path))
    _wider(_shard(tmp_path / "counting-v1"))
    encoder = CountingEncoder()
    encoder.load()  # a loaded encoder knows its width
    vectors = encode_cached(encoder, TEXTS, EmbeddingCache(tmp_path))
    assert np.array_equal(vectors, _expected(TEXTS)) and sorted(encoder.encoded) == sorted(TEXTS)


def test_cache_info_lists_invalid_shards(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    encode_cached(CountingEncoder(), TEXTS, EmbeddingCache(tmp_path))
    (tmp_path / "counting-v1" / "shard-empty.npz").write_bytes(b"")
    code, out = run(monkeypatch, capsys, "cache", "info", "--cache-dir", tmp_path)
    assert code == 0, out
    row = next(line for line in out.splitlines() if "counting-v1" in line and "│" in line)
    assert [cell.strip() for cell in row.split("│")[2:5]] == ["5", "2", "1"]  # texts, shards, invalid
    assert "invalid shard counting-v1/shard-empty.npz: unreadable" in out and "Aborted" not in out


def test_a_cache_root_that_is_a_file_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "cache"
    root.write_text("not a folder")
    with pytest.raises(DataError, match="is a file"):
        encode_cached(CountingEncoder(), TEXTS, EmbeddingCache(root))
    for command in (["info"], ["clear"]):
        code, out = run(monkeypatch, capsys, "cache", *command, "--cache-dir", root)
        assert code == 2 and "Traceback" not in out and len(out.strip().splitlines()) == 1, out
        assert f"{root}: the embedding cache is a file" in out
    assert root.read_text() == "not a folder"


def test_an_encoder_path_that_is_a_file_is_one_line_and_clear_removes_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "counting-v1").write_text("stray")
    with pytest.raises(DataError, match="cache clear --encoder counting-v1"):
        encode_cached(CountingEncoder(), TEXTS, EmbeddingCache(tmp_path))
    code, out = run(monkeypatch, capsys, "cache", "clear", "--encoder", "counting-v1", "--cache-dir", tmp_path)
    assert code == 0, out
    assert np.array_equal(encode_cached(CountingEncoder(), TEXTS, EmbeddingCache(tmp_path)), _expected(TEXTS))


def test_clear_unlinks_a_symlinked_encoder_folder_and_keeps_its_target(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere"
    encode_cached(CountingEncoder(), TEXTS, EmbeddingCache(target))
    root = tmp_path / "cache"
    root.mkdir()
    (root / "counting-v1").symlink_to(target / "counting-v1", target_is_directory=True)
    code, out = run(monkeypatch, capsys, "cache", "clear", "--cache-dir", root)
    assert code == 0, out
    assert list(root.iterdir()) == [] and len(list((target / "counting-v1").glob("shard-*.npz"))) == 1


def test_predict_with_an_embed_model_survives_a_damaged_cache(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reproduction: an `embed` model, a zero-byte shard and a shard of another width beside the good ones."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(ENV_VAR, str(cache))
    rows = pd.read_csv(data_dir / "kaggle-sample" / "train.csv").head(40)
    rows.to_csv(tmp_path / "train.csv", index=False)
    code, out = run(monkeypatch, capsys, "train", tmp_path / "train.csv", "--model", "embed", "-o", tmp_path / "m")
    assert code == 0, out
    code, out = run(monkeypatch, capsys, "predict", tmp_path / "m", tmp_path / "train.csv", "-o", tmp_path / "a.csv")
    assert code == 0, out
    (folder,) = cache.iterdir()
    good = _shard(folder)
    (folder / "shard-0-empty.npz").write_bytes(b"")
    keys = _keys(good)
    np.savez(folder / "shard-1-wide.npz", keys=keys[:5], vectors=np.ones((5, 12), dtype=np.float16))
    np.savez(folder / "shard-2-few.npz", keys=keys[5:10], vectors=np.ones((2, 256), dtype=np.float16))
    code, out = run(monkeypatch, capsys, "cache", "info")
    assert code == 0 and "Aborted" not in out and out.count("invalid shard") == 3, out
    good.unlink()  # the damaged shards' keys now have no good copy: they must be encoded again
    code, out = run(monkeypatch, capsys, "predict", tmp_path / "m", tmp_path / "train.csv", "-o", tmp_path / "b.csv")
    assert code == 0 and "Aborted" not in out, out
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))


@pytest.mark.parametrize("damage", ["zero-byte arrays", "truncated arrays", "wrong shapes", "meta a list"])
def test_a_damaged_bench_run_is_recomputed_not_a_crash(tmp_path: Path, damage: str) -> None:
    """The same class in the benchmark's run cache (evaluation.cache): a damaged entry is a miss."""
    from arenapref.evaluation.cache import RunCache
    from arenapref.evaluation.protocols import Run

    cache = RunCache(tmp_path)
    run = Run(np.arange(4), np.full((4, 3), 1 / 3), np.full((4, 3), 1 / 3), 1.0, 0.5, 2)
    cache.put("k", run, {"model": "prior"})
    assert cache.get("k") is not None
    arrays, meta = tmp_path / "k.npz", tmp_path / "k.json"
    if damage == "zero-byte arrays":
        arrays.write_bytes(b"")
    elif damage == "truncated arrays":
        arrays.write_bytes(arrays.read_bytes()[:100])
    elif damage == "wrong shapes":
        np.savez_compressed(arrays, test=np.arange(4), proba=np.ones((3, 3)), proba_swapped=np.ones((4, 3)))
    else:
        meta.write_text("[1, 2]")
    assert cache.get("k") is None and cache.misses == 1
