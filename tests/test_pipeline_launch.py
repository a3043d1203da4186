"""The `arenapref` entry points themselves under `torchrun --standalone --nproc_per_node 2 -m arenapref ...` on CPU
(gloo), against the same command in one process:

- `predict` (also through `accelerate launch --config_file configs/accelerate/ddp.yaml`): rows shared across
  the processes, gathered back in input order; the submission written by rank 0 is byte-identical to the
  one-process file;
- `train` of a tiny LoRA Llama on 9 battles in micro-batches of 3 (each split 2 / 1 across the processes, so the
  uneven split must be weighted): every battle trained on, no hang, and the final weights those of one process
  within 1e-4 (float32, AdamW, 6 steps; without the weighting they differ by ~4e-2).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from cli_support import run_cli
from neural_support import random_battles, tiny_checkpoint

pytestmark = pytest.mark.slow
TESTS = Path(__file__).parent
TOLERANCE = 1e-4
DDP_CONFIG = TESTS.parent / "configs" / "accelerate" / "ddp.yaml"  # MULTI_GPU: on a CPU-only machine, gloo
LLM_OPTIONS = {
    "max_length": "32",
    "eval_fraction": "0",
    "progress_bar": "false",
    "lora_r": "2",
    "lora_dropout": "0",  # dropout draws differ between one and two processes
    "batch_size": "3",
    "lr": "0.01",
    "epochs": "2",
}


def launch(launcher: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`torchrun --standalone --nproc_per_node 2 -m arenapref ARGS` (or the same through `accelerate launch` and
    the repository's DDP config) with this checkout's sources."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent / "src"), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": "1",
        "COLUMNS": "200",  # rich wraps at 80 columns without a terminal
    }
    bin_dir = Path(sys.executable).parent
    command = {
        "torchrun": [str(bin_dir / "torchrun"), "--standalone", "--nproc_per_node", "2"],
        "accelerate": [str(bin_dir / "accelerate"), "launch", "--config_file", str(DDP_CONFIG), "--num_processes", "2"],
    }[launcher]
    result = subprocess.run(
        [*command, "-m", "arenapref", *map(str, args)], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


@pytest.fixture(scope="module")
def predicted(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fast model trained on the Kaggle sample and its one-process submission for that sample."""
    root = tmp_path_factory.mktemp("launch")
    sample = data_dir / "kaggle-sample" / "train.csv"
    code, text = run_cli("train", sample, "--model", "fast", "-o", root / "fast")
    assert code == 0, text
    code, text = run_cli("predict", root / "fast", sample, "-o", root / "one.csv")
    assert code == 0, text
    return {"model": root / "fast", "sample": sample, "one": root / "one.csv"}


@pytest.mark.parametrize("launcher", ["torchrun", "accelerate"])
def test_launched_predict_writes_the_one_process_file(
    predicted: dict[str, Path], launcher: str, tmp_path: Path
) -> None:
    launched = launch(launcher, "predict", predicted["model"], predicted["sample"], "-o", tmp_path / "two.csv")
    assert (tmp_path / "two.csv").read_bytes() == predicted["one"].read_bytes()
    assert launched.stdout.count("wrote ") == 1 and "100 of 100 rows" in launched.stdout  # rank 0 only
    assert "by 2 processes" in launched.stdout


def test_train_under_torchrun_with_uneven_batches_matches_one_process(tmp_path: Path) -> None:
    import json

    import torch
    from safetensors.torch import load_file

    tiny = tiny_checkpoint(tmp_path / "tiny")
    random_battles(9).to_parquet(tmp_path / "b9.parquet")
    sets = [arg for key, value in {"backbone": str(tiny), **LLM_OPTIONS}.items() for arg in ("--set", f"{key}={value}")]
    code, text = run_cli("train", tmp_path / "b9.parquet", "--model", "llm", *sets, "-o", tmp_path / "one")
    assert code == 0, text
    launched = launch("torchrun", "train", tmp_path / "b9.parquet", "--model", "llm", *sets, "-o", tmp_path / "two")
    trainings = [json.loads((tmp_path / d / "model.json").read_text())["state"]["training"] for d in ("one", "two")]
    assert [t["processes"] for t in trainings] == [1, 2]
    assert launched.stdout.count("trained llm on 9 battles") == 1 and "(both orders, 2 processes)" in launched.stdout
    assert all(t["train_battles"] == 9 and t["steps"] == 6 for t in trainings)  # 3 batches of 3, 2 epochs
    moved = 0
    for name in ("adapter/adapter_model.safetensors", "head.safetensors"):
        one, two = (load_file(str(tmp_path / d / name)) for d in ("one", "two"))
        assert set(one) == set(two)
        for key, value in one.items():
            torch.testing.assert_close(two[key], value, rtol=0, atol=TOLERANCE)
            moved += "lora_B" in key and bool(value.abs().max() > 0)  # LoRA B starts at zero
    assert moved > 0
