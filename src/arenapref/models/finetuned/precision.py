"""Where and in what precision a loaded network predicts, from what the device can do.

bfloat16 on GPUs that support it (Ampere and later: A100, H100, L4), float16 on GPUs without it (T4, V100: the
Kaggle notebook's 2 x T4), float32 on the CPU. The device's capability is a value (DeviceCapability) that
`query_capability` reads from torch, so the choice is a plain function of it and is tested on any machine.
"""

from __future__ import annotations

import importlib.util
import os
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeviceCapability:
    """What this process's device can do: a CUDA GPU (its name, bf16 support, memory) or the CPU, and whether
    bitsandbytes (4/8-bit weights) is installed."""

    cuda: bool
    bf16: bool = False
    bitsandbytes: bool = False
    name: str = "cpu"
    memory_bytes: int = 0
    count: int = 0


def query_capability() -> DeviceCapability:
    """This process's device: its GPU (LOCAL_RANK under torchrun) when CUDA exists, else the CPU."""
    import torch

    bitsandbytes = importlib.util.find_spec("bitsandbytes") is not None
    if not torch.cuda.is_available():
        return DeviceCapability(cuda=False, bitsandbytes=bitsandbytes)
    index = int(os.environ.get("LOCAL_RANK", "0"))
    props = torch.cuda.get_device_properties(index)
    return DeviceCapability(
        cuda=True,
        bf16=bool(torch.cuda.is_bf16_supported(including_emulation=False)),
        bitsandbytes=bitsandbytes,
        name=props.name,
        memory_bytes=int(props.total_memory),
        count=torch.cuda.device_count(),
    )


def prediction_dtype(capability: DeviceCapability) -> str:
    """The dtype a network predicts in: "bfloat16" where the GPU has it, "float16" on older GPUs, "float32" on CPU."""
    if not capability.cuda:
        return "float32"
    return "bfloat16" if capability.bf16 else "float16"


def autocast(device: Any, dtype: Any) -> AbstractContextManager[Any]:
    """torch's autocast on a GPU to a half dtype (`dtype`: the network's), so a quantised body's float ops and any
    float32 leftovers run in it too; nothing on the CPU or for float32 networks."""
    import torch

    if device.type != "cuda" or dtype not in (torch.float16, torch.bfloat16):
        return nullcontext()
    return torch.autocast("cuda", dtype=dtype)
