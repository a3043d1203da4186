"""Length-sorted dynamic batches: sequences of similar length together, each batch padded only to its longest.

Battles travel in pairs (the battle and its swap, same length under every truncation policy), so a batch of
battles is one of 2 x battles sequences, and each battle meets its swap in the same optimisation step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def length_batches(
    lengths: Sequence[int],
    batch_size: int,
    max_tokens: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
) -> list[np.ndarray]:
    """Row positions grouped into batches by length: at most `batch_size` rows and, when given, at most
    `max_tokens` padded tokens (rows x longest) per batch (a row longer than that goes alone). `shuffle`: ties in
    length are broken at random and the batch order is random (training); otherwise batches go shortest first."""
    sizes = np.asarray(lengths, dtype=np.int64)
    rng = np.random.default_rng(seed)
    tiebreak = rng.random(len(sizes)) if shuffle else np.arange(len(sizes))
    order = np.lexsort((tiebreak, sizes))
    batches: list[np.ndarray] = []
    start = 0
    for i in range(1, len(order) + 1):
        size = i - start
        too_many = size > batch_size or (
            max_tokens is not None and size > 1 and size * sizes[order[i - 1]] > max_tokens
        )
        if too_many:
            batches.append(order[start : i - 1])
            start = i - 1
    if start < len(order):
        batches.append(order[start:])
    if shuffle:
        batches = [batches[j] for j in rng.permutation(len(batches))]
    return batches


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> dict[str, Any]:
    """input_ids and attention_mask (torch, int64), right-padded to the batch's longest sequence."""
    import torch

    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
        mask[row, : len(seq)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def padding_share(batches: Sequence[np.ndarray], lengths: Sequence[int]) -> float:
    """Share of padded positions over all positions of the batches (0: no padding waste)."""
    sizes = np.asarray(lengths)
    total = sum(len(b) * int(sizes[b].max()) for b in batches if len(b))
    real = sum(int(sizes[b].sum()) for b in batches)
    return 1 - real / total if total else 0.0
