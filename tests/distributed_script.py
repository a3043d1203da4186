"""Run by `torchrun --standalone --nproc_per_node 2 tests/distributed_script.py OUT MODEL_DIR BATTLES` (and, for
the one-process reference, imported by the tests): sharded prediction, the pseudo-label command unchanged, a DDP
training run (accelerate.Accelerator(cpu=True): gloo) and an FSDP one (torch's fully_shard on gloo).

Training: a tiny Llama sequence classifier, fixed seed, a global batch of 8 battles; each process takes rows
rank::world of the batch (the sharding of models/finetuned/training.fit_net) and the distillation loss; the final
parameters are saved by rank 0.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

GLOBAL_BATCH, STEPS, SEQ = 8, 4, 12


def tiny_classifier() -> object:
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        num_labels=3,
        pad_token_id=0,
    )
    return LlamaForSequenceClassification(config)


def batch() -> tuple[object, object, object]:
    """Fixed token ids, one-hot labels (the last two rows unlabelled) and teacher probabilities."""
    import torch

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, 64, (STEPS, GLOBAL_BATCH, SEQ), generator=g)
    labels = torch.nn.functional.one_hot(torch.randint(0, 3, (STEPS, GLOBAL_BATCH), generator=g), 3).float()
    labels[:, -2:] = 0
    teacher = torch.softmax(torch.randn(STEPS, GLOBAL_BATCH, 3, generator=g), dim=-1)
    return ids, labels, teacher


def train(mode: str) -> dict[str, object]:
    """Train the tiny classifier for STEPS steps ('single', 'ddp' or 'fsdp'); the full parameters and seconds."""
    import torch

    from arenapref.pipeline.distill_loss import distillation_loss

    started = time.perf_counter()
    model = tiny_classifier()
    rank, world = 0, 1
    if mode == "fsdp":
        import torch.distributed as dist
        from torch.distributed.fsdp import fully_shard

        rank, world = dist.get_rank(), dist.get_world_size()
        for layer in model.model.layers:  # type: ignore[attr-defined]
            fully_shard(layer)
        fully_shard(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)  # type: ignore[attr-defined]
        backward = torch.Tensor.backward
    else:
        from accelerate import Accelerator

        acc = Accelerator(cpu=True)
        rank, world = acc.process_index, acc.num_processes
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)  # type: ignore[attr-defined]
        model, optimizer = acc.prepare(model, optimizer)
        backward = acc.backward
    ids, labels, teacher = batch()
    for step in range(STEPS):
        rows = torch.arange(GLOBAL_BATCH)[rank::world]
        x = ids[step][rows]  # type: ignore[index]
        logits = model(input_ids=x, attention_mask=torch.ones_like(x)).logits  # type: ignore[operator]
        loss = distillation_loss(logits, labels[step][rows], teacher[step][rows], alpha=0.5, temperature=2.0)  # type: ignore[index]
        backward(loss)
        optimizer.step()
        optimizer.zero_grad()
    inner = getattr(model, "module", model)
    state = {}
    for key, value in inner.state_dict().items():  # type: ignore[attr-defined]
        full = value.full_tensor() if hasattr(value, "full_tensor") else value
        state[key] = full.detach().clone()
    return {"state": state, "seconds": time.perf_counter() - started, "world": world, "rank": rank}


def main(out: Path, model_dir: str, battles_path: str) -> None:
    import numpy as np
    import torch

    from arenapref.cli import main as cli_main
    from arenapref.data.io import read_battles
    from arenapref.models.base import mirror_average
    from arenapref.models.registry import load
    from arenapref.pipeline.distributed import predict_sharded, process_state

    state = process_state()
    rank = state.process_index
    model = load(model_dir)
    battles, _ = read_battles(battles_path)
    seen: list[str] = []

    def predict(rows: object) -> object:
        seen.extend(rows["id"])  # type: ignore[index]
        return mirror_average(model, rows)  # type: ignore[arg-type]

    proba = predict_sharded(predict, battles)
    (out / f"seen-{rank}.json").write_text(json.dumps(seen))
    if rank == 0:
        np.save(out / "sharded.npy", proba)
    sys.argv = ["arenapref", "pseudo-label", model_dir, battles_path, "-o", str(out / "pseudo.parquet")]
    try:
        cli_main()
    except SystemExit as exc:
        assert not exc.code, exc.code
    for mode in ("ddp", "fsdp"):
        result = train(mode)
        if rank == 0:
            torch.save(result, out / f"{mode}.pt")
    state.wait_for_everyone()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
