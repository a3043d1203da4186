"""Launched processes end cleanly: at exit their process groups are destroyed while Python is whole, the
references torch keeps are dropped, and a group torch still holds is kept rather than freed during finalisation
(where a gloo group can abort the process). One-process gloo groups, each in a fresh interpreter."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parent.parent / "src"

PRELUDE = """
import atexit, os, sys
import torch, torch.distributed as dist
from arenapref.models.finetuned.process_group import destroy_at_exit, destroy_process_group

def gloo_threads():
    names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
    return names.count("pt_gloo_runloop")

dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{sys.argv[1]}", rank=0, world_size=1)
"""

AT_EXIT = """
atexit.register(lambda: print("alive at exit:", dist.is_initialized()))  # atexit runs last-in first-out
destroy_at_exit()
destroy_at_exit()  # registered once
print("alive before exit:", dist.is_initialized())
"""

DDP = """
import torch.distributed.nn.functional  # binds group=WORLD in its defaults, as DDP's import does
ddp = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 3))
del ddp
print("gloo threads:", gloo_threads() > 0)
print("kept:", destroy_process_group(), "gloo threads:", gloo_threads())
"""

FSDP = """
from torch.distributed.fsdp import fully_shard
net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 3))
fully_shard(net[0])
fully_shard(net)
net(torch.ones(2, 4)).sum().backward()
del net
print("kept:", destroy_process_group(), "gloo threads:", gloo_threads() > 0)
"""


def run(script: str) -> list[str]:
    """Run `script` after PRELUDE in a fresh interpreter with a free port; its stdout lines (exit status 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + script, str(port)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.splitlines()


def test_the_process_group_is_destroyed_at_exit() -> None:
    assert run(AT_EXIT) == ["alive before exit: True", "alive at exit: False"]


def test_groups_bound_by_torch_distributed_nn_are_released() -> None:
    assert run(DDP) == ["gloo threads: True", "kept: 0 gloo threads: 0"]


def test_a_group_fsdp_still_holds_is_kept_for_good() -> None:
    assert run(FSDP) == ["kept: 1 gloo threads: True"]
