"""The kit's time budget: the projection for 25,000 rows after the first batches, a clear stop over the limit (in
the notebook's make_submission and in `arenapref predict --time-limit`), and the one-process-per-GPU path (run here
with 2 CPU processes under torchrun) writing the same submission as one process."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.kaggle.budget import OverBudget, TimeBudget, batch_bounds
from arenapref.kaggle.runtime import make_submission
from cli_support import run
from serve_support import small_fast_model_dir


def test_batches_start_small_then_go_by_size() -> None:
    assert batch_bounds(0, 5000) == []
    assert batch_bounds(100, 5000) == [(0, 100)]
    assert batch_bounds(12_000, 5000, first=256) == [(0, 256), (256, 5256), (5256, 10256), (10256, 12000)]


def test_the_projection_stops_a_run_over_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    slow = TimeBudget(rows=25_000, limit_hours=1.0, started=time.perf_counter() - 100)
    with pytest.raises(OverBudget, match=r"25,000 rows would take 2\.\d h .* over the 1 h limit"):
        slow.advance(300)  # 3 rows/s: 2.3 h
    ok = TimeBudget(rows=25_000, limit_hours=9.0, processes=2, started=time.perf_counter() - 100)
    ok.advance(300)  # 3 rows/s per process, 2 processes: 1.2 h
    assert "projected at 1.16 h (limit 9 h)" in capsys.readouterr().out
    assert abs(ok.projected_hours(3.0) - 25_000 / 6 / 3600) < 1e-9


def test_make_submission_stops_over_budget(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "submission.csv"
    with pytest.raises(OverBudget, match="stopping"):
        make_submission(small_fast_model_dir(), data_dir / "kaggle-sample" / "train.csv", out, time_limit_hours=1e-9)
    assert not out.exists()


def test_predict_time_limit_is_exit_3_and_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "s.csv"
    sample = data_dir / "kaggle-sample" / "train.csv"
    code, text = run(monkeypatch, capsys, "predict", small_fast_model_dir(), sample, "-o", out, "--time-limit", "1e-9")
    assert code == 3 and "stopping: 25,000 rows would take" in text and not out.exists(), text
    code, text = run(monkeypatch, capsys, "predict", small_fast_model_dir(), sample, "-o", out, "--time-limit", "9")
    assert code == 0 and "rows projected at" in text and out.is_file(), text


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_one_process_per_gpu_writes_what_one_process_writes(data_dir: Path, tmp_path: Path) -> None:
    test = data_dir / "kaggle-sample" / "train.csv"
    model = small_fast_model_dir()
    make_submission(model, test, tmp_path / "one.csv", gpus=0)
    make_submission(model, test, tmp_path / "two.csv", gpus=2)  # torchrun, 2 processes (gloo on the CPU)
    one, two = (pd.read_csv(tmp_path / f"{n}.csv", dtype={"id": str}) for n in ("one", "two"))
    assert one["id"].tolist() == two["id"].tolist()
    np.testing.assert_allclose(one.iloc[:, 1:].to_numpy(), two.iloc[:, 1:].to_numpy(), atol=1e-12)
