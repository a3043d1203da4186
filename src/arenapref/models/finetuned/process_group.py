"""Ending a launched run cleanly: the process group is destroyed at exit, while Python is still whole.

A torchrun process whose gloo process group outlives `atexit` can abort at exit ("terminate called without an
active exception", SIGABRT): the group is then freed during interpreter finalisation, and its worker threads,
joined there, may need the GIL to free their last work (pytorch/pytorch#179291, #190489). Two things keep the
group alive: the default group itself, and `torch.distributed.nn.functional`, whose functions bind
`group=group.WORLD` when imported; imported after the group was made (DDP does), they hold the group until
finalisation, even after destroy_process_group(). So at exit the groups are destroyed and those references
dropped; a group torch still holds is kept alive for good, so it is never freed during finalisation. Every place
that joins the processes (fit_net's Accelerator, the pipeline's PartialState) calls `destroy_at_exit()`.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import gc
import sys
import types

_OWN_REFERENCES = 3  # `groups`, the comprehension's variable, getrefcount's argument


@functools.cache
def destroy_at_exit() -> None:
    """Register, once per process, the destruction of torch.distributed's process groups at exit."""
    atexit.register(destroy_process_group)


def destroy_process_group() -> int:
    """Destroy the process groups if any are up (no collective: a rank that failed does not block it) and drop
    the references that would free them during finalisation; a group that torch still holds (FSDP2's meshes live
    on in reference cycles) is kept for good instead. The number of groups kept."""
    import torch.distributed as dist

    release_bound_groups()
    if not (dist.is_available() and dist.is_initialized()):
        return 0
    from torch.distributed.distributed_c10d import _world

    groups = list(_world.pg_map)
    dist.destroy_process_group()
    gc.collect()
    kept = [group for group in groups if sys.getrefcount(group) > _OWN_REFERENCES]
    for group in kept:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(group))  # never freed, so never joined during finalisation
    return len(kept)


def release_bound_groups() -> None:
    """Unbind process groups from the defaults of torch.distributed.nn.functional (None is the default group
    there too)."""
    module = sys.modules.get("torch.distributed.nn.functional")
    if module is None:
        return
    from torch.distributed import ProcessGroup

    for function in vars(module).values():
        if isinstance(function, types.FunctionType) and function.__defaults__:
            function.__defaults__ = tuple(None if isinstance(d, ProcessGroup) else d for d in function.__defaults__)
