"""The Kaggle-scale file builder of bench/ (small here): deterministic, cached, Kaggle-shaped, defects included."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from arenapref.data.io import read_battles

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from kaggle_scale import build_kaggle_scale


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_builder_is_deterministic_cached_and_kaggle_shaped(data_dir: Path, tmp_path: Path) -> None:
    first = build_kaggle_scale(data_dir, tmp_path / "a.csv", n_rows=3000, seed=0)
    second = build_kaggle_scale(data_dir, tmp_path / "b.csv", n_rows=3000, seed=0)
    assert digest(first) == digest(second)
    stamp = first.stat().st_mtime_ns
    assert build_kaggle_scale(data_dir, first, n_rows=3000, seed=0).stat().st_mtime_ns == stamp  # reused
    other = build_kaggle_scale(data_dir, tmp_path / "c.csv", n_rows=3000, seed=1)
    assert digest(other) != digest(first)

    df, report = read_battles(first)
    assert (report.format, report.rows_read, report.rows_kept) == ("kaggle", 3000, 3000)
    assert df["id"].is_unique and df["model_a"].notna().all() and (df["model_a"] != df["model_b"]).all()
    assert 0.07 < (df["prompt"].str.len() > 1).mean() < 0.13  # about 10 % multi-turn
    shares = df["label"].value_counts(normalize=True)
    assert all(0.27 < shares[k] < 0.39 for k in (0, 1, 2))
    assert report.repairs["lone surrogate replaced"] > 0 and report.repairs["null turn kept as None"] > 0
    lengths = df["response_a"].map(lambda turns: sum(len(t) for t in turns if t))
    assert 500 < lengths.median() < 1500 and lengths.max() > 5000  # chat-like: long tail
