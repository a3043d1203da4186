"""Beyond one process, for real: one `torchrun --standalone --nproc_per_node 2` run on CPU (gloo) of
tests/distributed_script.py, compared with one process doing the same work.

- sharded prediction returns the same rows in the same order as one process, each process having predicted a
  disjoint, non-empty share; the pseudo-label command, unchanged, writes the same soft labels under torchrun;
- DDP (accelerate.Accelerator(cpu=True), MULTI_CPU) and FSDP (torch's fully_shard on gloo) end with the same
  parameters as one process with the same global batch, within 1e-5 (float32 AdamW, 4 steps).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.io import read_battles
from arenapref.data.schema import SOFT_COLUMNS
from arenapref.models.base import mirror_average
from arenapref.models.registry import create, load
from arenapref.pipeline.distributed import predict_sharded

TESTS = Path(__file__).parent
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def launched(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Train a fast model here, then run the script under torchrun with 2 processes; its output folder."""
    root = tmp_path_factory.mktemp("dist")
    battles = data_dir / "kaggle-sample" / "train.csv"
    create("fast").fit(read_battles(battles)[0]).save(root / "fast")
    out = root / "out"
    out.mkdir()
    torchrun = Path(sys.executable).parent / "torchrun"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent / "src"), str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": "1",
    }
    command = [str(torchrun), "--standalone", "--nproc_per_node", "2", str(TESTS / "distributed_script.py")]
    result = subprocess.run(
        [*command, str(out), str(root / "fast"), str(battles)], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout[-2000:]}\nstderr:\n{result.stderr[:3000]}"
    return {"out": out, "model": root / "fast", "battles": battles}


def test_sharded_prediction_returns_the_same_rows_in_the_same_order(launched: dict[str, Path]) -> None:
    battles, _ = read_battles(launched["battles"])
    single = predict_sharded(lambda rows: mirror_average(load(launched["model"]), rows), battles)
    sharded = np.load(launched["out"] / "sharded.npy")
    np.testing.assert_array_equal(sharded, single)
    seen = [json.loads((launched["out"] / f"seen-{r}.json").read_text()) for r in range(2)]
    assert all(seen) and not set(seen[0]) & set(seen[1])
    assert seen[0] + seen[1] == list(battles["id"])  # contiguous slices, rank order


def test_pseudo_label_command_runs_unchanged_under_torchrun(launched: dict[str, Path]) -> None:
    written = pd.read_parquet(launched["out"] / "pseudo.parquet")
    battles, _ = read_battles(launched["battles"])
    expected = mirror_average(load(launched["model"]), battles)
    assert list(written["id"]) == list(battles["id"])
    np.testing.assert_array_equal(written[list(SOFT_COLUMNS)].to_numpy(), expected)


@pytest.mark.parametrize("mode", ["ddp", "fsdp"])
def test_two_processes_end_with_the_parameters_of_one(launched: dict[str, Path], mode: str) -> None:
    import torch

    from distributed_script import tiny_classifier, train

    single = train("single")
    result = torch.load(launched["out"] / f"{mode}.pt")
    assert result["world"] == 2 and single["world"] == 1
    initial = tiny_classifier().state_dict()  # type: ignore[attr-defined]
    assert set(result["state"]) == set(single["state"])
    moved = 0
    for key, value in single["state"].items():
        torch.testing.assert_close(result["state"][key], value, rtol=0, atol=TOLERANCE)
        moved += not torch.allclose(value, initial[key], atol=1e-3)
    assert moved > len(initial) // 2  # training really changed the weights
