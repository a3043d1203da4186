"""Training settings of embed-mlp's pair network, apart from the network (which imports torch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainParams:
    """Fixed training settings of the pair network (not tuned on evaluation folds)."""

    hidden: int = 64
    dropout: float = 0.2
    project: int = 16  # chosen over 64 by the inner held-out loss on an Auto-J training part
    lr: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 256
    max_epochs: int = 60
    patience: int = 6
    fallback_epochs: int = 15  # epochs when there is no held-out part to stop on
    seed: int = 0
