"""Ending a launched run cleanly: the process group is destroyed at interpreter exit, while Python is still whole.

A torchrun process that exits with its gloo process group alive can abort ("terminate called without an active
exception", SIGABRT): gloo's worker threads still hold work whose tensors are freed during interpreter
finalisation (pytorch/pytorch#179291, #190489). Every place that joins the processes (fit_net's Accelerator, the
pipeline's PartialState) calls `destroy_at_exit()`; an earlier explicit destroy_process_group() makes it a no-op.
"""

from __future__ import annotations

import atexit
import functools


@functools.cache
def destroy_at_exit() -> None:
    """Register, once per process, the destruction of torch.distributed's default group at exit."""
    atexit.register(destroy_process_group)


def destroy_process_group() -> None:
    """Destroy the default process group if one is up (no collective: a rank that failed does not block it)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
