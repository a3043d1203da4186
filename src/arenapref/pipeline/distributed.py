"""Prediction spread over the processes of a `torchrun` / `accelerate launch` run, gathered back in input order.

Single process (no WORLD_SIZE > 1 in the environment): the model predicts everything and accelerate is never
imported, so the fast path stays free of torch. Several processes: accelerate's PartialState gives each process a
contiguous slice of the rows (`split_between_processes`), each predicts its slice, and `gather_object` brings the
(row index, probabilities) pieces to every process, which put them back in input order. On a machine without a
GPU the state is made with cpu=True: accelerate otherwise treats each torchrun process as a lone process
(DistributedType.NO) and every one would predict every row.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

Predict = Callable[[pd.DataFrame], np.ndarray]


def world_size() -> int:
    """Processes of the launcher's run (1 when not launched by torchrun / accelerate launch)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def process_state() -> Any:
    """accelerate's PartialState (torch.distributed initialised: gloo on CPU, NCCL on GPUs, destroyed at exit)."""
    import torch
    from accelerate import PartialState

    from arenapref.models.finetuned.process_group import destroy_at_exit

    state = PartialState(cpu=not torch.cuda.is_available())
    destroy_at_exit()
    return state


def is_main_process() -> bool:
    """True in a single process and in rank 0 of a launched run (the process that writes files)."""
    return world_size() == 1 or bool(process_state().is_main_process)


def predict_sharded(predict: Predict, battles: pd.DataFrame) -> np.ndarray:
    """predict(battles) as (n, 3), the rows shared across the launched processes; every process gets all rows."""
    if world_size() == 1:
        return np.asarray(predict(battles), dtype=float).reshape(len(battles), 3)
    from accelerate.utils import gather_object

    state = process_state()
    with state.split_between_processes(list(range(len(battles)))) as shard:
        rows = np.asarray(shard, dtype=int)
        part = np.asarray(predict(battles.iloc[rows]), dtype=float).reshape(len(rows), 3) if len(rows) else None
    pieces = gather_object([(rows, part)])
    out = np.full((len(battles), 3), np.nan)
    for rows, part in pieces:
        if part is not None:
            out[rows] = part
    if np.isnan(out).any():
        raise RuntimeError(f"{int(np.isnan(out).any(axis=1).sum())} rows came back from no process")
    return out


def barrier() -> None:
    """Wait for every launched process (nothing to wait for in a single process)."""
    if world_size() > 1:
        process_state().wait_for_everyone()
