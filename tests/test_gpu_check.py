"""bench/gpu_check.py, the prepared GPU check, stays runnable: its dry run (CPU, tiny sizes) runs every stage and
the 9B projection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

SCRIPT = Path(__file__).parents[1] / "bench" / "gpu_check.py"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_dry_run_runs_every_stage(smollm2_folder: Path, data_dir: Path, tmp_path: Path) -> None:
    args = ["--dry-run", "--data", str(data_dir), "--out", str(tmp_path), "--smollm2", str(smollm2_folder)]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--assume-card", "NVIDIA H100 80GB HBM3"],
        capture_output=True,
        text=True,
        timeout=850,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / "gpu_check.json").read_text())
    for stage in ("llm", "cross-encoder", "gemma2"):
        assert set(result[stage]["predict"]) >= {"bfloat16", "float16"}
        for p in result[stage]["predict"].values():
            assert p["battles"] == result["test_battles"] and 0 < p["log_loss"] < 5 and p["battles_per_s"] > 0
    projection = result["projection"]
    assert projection["peak_flops"] == 989e12 and projection["utilisation"] > 0
    assert set(projection["hours"]) == {"8bit_two_processes", "fp16_split_over_two_cards"}
    assert "projection, 9B on 2 x T4" in done.stdout
