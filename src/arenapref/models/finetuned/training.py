"""Training and inference loops: the one place that knows about processes, devices and precision (accelerate).

Training: each micro-batch holds battles and their swaps (targets mirrored), so both orders meet in the same
optimisation step; under several processes (torchrun / accelerate launch) each global micro-batch is split across
them (rows rank::world, an uneven split weighted so the step equals one process's) and accelerate's DDP averages
the gradients; time caps and early stopping are agreed across processes. AdamW (torch, or torch-optimi's with
Kahan summation), a cosine schedule with warm-up, gradient accumulation and clipping, bf16/fp16 autocast where the
device supports it, early stopping on held-out log loss (the best weights are restored), a wall-clock cap,
resumable checkpoints (accelerate's save_state plus the step reached) and a tqdm bar with loss and throughput.

Inference: every battle is run in both orders in the same batch (the pair in a canonical row order, batches by
length) and the probabilities are mirror-averaged, so predictions on swapped input are exactly mirrored.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arenapref.data.swap import MIRROR
from arenapref.models.finetuned.collator import length_batches, pad_batch
from arenapref.models.finetuned.config import LossConfig, TrainConfig
from arenapref.models.finetuned.losses import preference_loss
from arenapref.models.finetuned.precision import autocast
from arenapref.models.finetuned.process_group import destroy_at_exit

Ids = list[int]
Progress = Callable[[str], None]
_PROGRESS_FILE = "progress.json"
_BEST_FILE = "best.pt"


@dataclass
class Encoded:
    """Token ids of battles in both orders, with (n, 3) targets and optional teacher probabilities (NaN: none)."""

    ids: list[Ids]
    swapped: list[Ids]
    targets: np.ndarray
    teacher: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> list[int]:
        return [max(len(a), len(b)) for a, b in zip(self.ids, self.swapped, strict=True)]


@dataclass
class TrainReport:
    """What happened: evaluations (step, held-out log loss), steps run, why it stopped, seconds."""

    history: list[dict[str, float]] = field(default_factory=list)
    steps: int = 0
    best_step: int = 0
    best_loss: float | None = None
    stopped: str = "completed"
    seconds: float = 0.0
    battles_per_second: float = 0.0
    precision: str = "no"
    processes: int = 1

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def device_precision(precision: str) -> str:
    """'auto' -> bf16 on a GPU that supports it, fp16 on another GPU, none on CPU."""
    if precision != "auto":
        return precision
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "no"


def make_optimizer(net: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW over the trainable parameters (no decay on biases and norms; the head at head_lr)."""
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for name, param in net.named_parameters():
        if param.requires_grad:
            groups.setdefault((name.startswith("head."), param.ndim < 2), []).append(param)
    params = [
        {
            "params": ps,
            "lr": (config.head_lr or config.lr) if is_head else config.lr,
            "weight_decay": 0.0 if no_decay else config.weight_decay,
        }
        for (is_head, no_decay), ps in groups.items()
    ]
    if config.optimizer == "adamw-kahan":
        from optimi import AdamW

        return AdamW(params, lr=config.lr, kahan_sum=True, decouple_lr=False)
    return torch.optim.AdamW(params, lr=config.lr)


def cosine_schedule(optimizer: torch.optim.Optimizer, total_steps: int, warmup_ratio: float) -> Any:
    from transformers import get_cosine_schedule_with_warmup

    return get_cosine_schedule_with_warmup(optimizer, math.ceil(total_steps * warmup_ratio), max(total_steps, 1))


def pair_rows(ids: list[Ids], swapped: list[Ids], rows: np.ndarray) -> list[Ids]:
    """Sequences of the chosen battles: each battle then its swap."""
    return [seq for r in rows for seq in (ids[r], swapped[r])]


def fit_net(
    net: torch.nn.Module,
    train: Encoded,
    held_out: Encoded | None,
    config: TrainConfig,
    loss_config: LossConfig,
    pad_id: int,
    progress: Progress | None = None,
) -> TrainReport:
    """Train `net` in place (best held-out weights restored when there is a held-out set)."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState
    from accelerate.utils import set_seed

    started = time.perf_counter()
    precision = device_precision(config.precision)
    # accelerate keeps one AcceleratorState per process and refuses a second precision; each fit may choose its
    # own (the process group, in PartialState, is kept)
    AcceleratorState._reset_state()
    # cpu=True on a machine without a GPU: accelerate then joins the processes of a torchrun run over gloo
    # (DistributedType.MULTI_CPU); without it each process trains alone (DistributedType.NO)
    acc = Accelerator(
        cpu=not torch.cuda.is_available(), mixed_precision=precision, gradient_accumulation_steps=config.grad_accum
    )
    destroy_at_exit()
    set_seed(config.seed)
    lengths = train.lengths
    per_epoch = len(length_batches(lengths, config.batch_size, config.max_tokens and config.max_tokens // 2))
    total_micro = math.ceil(per_epoch * config.epochs)
    optimizer = make_optimizer(net, config)
    scheduler = cosine_schedule(optimizer, math.ceil(total_micro / config.grad_accum), config.warmup_ratio)
    net, optimizer = acc.prepare(net, optimizer)
    acc.register_for_checkpointing(scheduler)
    report = TrainReport(precision=precision, processes=acc.num_processes)
    best: dict[str, torch.Tensor] | None = None
    bad_evals, micro, start_micro = 0, 0, 0
    checkpoints = Path(config.checkpoint_dir) if config.checkpoint_dir else None
    if checkpoints and (checkpoints / _PROGRESS_FILE).is_file():
        acc.load_state(str(checkpoints / "state"))
        saved = json.loads((checkpoints / _PROGRESS_FILE).read_text())
        start_micro, bad_evals = saved["micro"], saved["bad_evals"]
        report.history, report.best_step, report.best_loss = saved["history"], saved["best_step"], saved["best_loss"]
        report.steps = saved["steps"]
        if (checkpoints / _BEST_FILE).is_file():
            best = torch.load(checkpoints / _BEST_FILE)
    targets = torch.as_tensor(train.targets, dtype=torch.float32)
    teacher = None if train.teacher is None else torch.as_tensor(train.teacher, dtype=torch.float32)
    mirror = torch.as_tensor(MIRROR)
    bar = _bar(total_micro, config.progress_bar and acc.is_main_process, start_micro)
    seen, loss_avg, stop = 0, None, ""
    net.train()
    for epoch in range(math.ceil(config.epochs)):
        batches = length_batches(
            lengths,
            config.batch_size,
            config.max_tokens and config.max_tokens // 2,
            shuffle=True,
            seed=config.seed + epoch,
        )
        for rows in batches:
            if micro >= total_micro or stop:
                break
            micro += 1
            if micro <= start_micro:
                continue
            shard = rows[acc.process_index :: acc.num_processes]
            # DDP averages the processes' gradients: each process's mean loss, weighted by its share of the global
            # batch, makes that average the global batch's mean loss however unevenly the rows split
            weight = len(shard) * acc.num_processes / len(rows)
            if len(shard) == 0:  # fewer battles than processes: run one, weighted 0, to join the gradient all-reduce
                shard = rows[:1]
            inputs = {
                k: v.to(acc.device) for k, v in pad_batch(pair_rows(train.ids, train.swapped, shard), pad_id).items()
            }
            index = torch.as_tensor(shard)
            y = torch.stack([targets[index], targets[index][:, mirror]], dim=1).reshape(-1, 3).to(acc.device)
            t = None
            if teacher is not None:
                t = torch.stack([teacher[index], teacher[index][:, mirror]], dim=1).reshape(-1, 3).to(acc.device)
            with acc.accumulate(net):
                with acc.autocast():
                    logits = net(**inputs)
                loss = preference_loss(logits, y, t, loss_config)
                acc.backward(loss * weight)
                if acc.sync_gradients:
                    acc.clip_grad_norm_(net.parameters(), config.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad()
            seen += len(rows)
            value = float(loss.detach())
            loss_avg = value if loss_avg is None else 0.9 * loss_avg + 0.1 * value
            rate = seen / max(time.perf_counter() - started, 1e-9)
            _show(bar, progress, f"epoch {epoch + 1} · step {micro}/{total_micro}", loss_avg, rate)
            if not acc.sync_gradients:
                continue
            scheduler.step()
            report.steps += 1
            due = config.eval_every and report.steps % config.eval_every == 0
            last_of_epoch = micro % per_epoch == 0 or micro == total_micro
            timed_out = config.max_seconds is not None and _any_process(
                acc, time.perf_counter() - started > config.max_seconds
            )
            if held_out is not None and (due or last_of_epoch or timed_out):
                score = evaluate(acc.unwrap_model(net), held_out, config.predict_batch_size, pad_id)
                score = _agreed(acc, score)  # every process takes the same early-stopping decision
                net.train()
                report.history.append({"step": report.steps, "epoch": epoch + 1, "held_out_log_loss": score})
                if report.best_loss is None or score < report.best_loss:
                    report.best_loss, report.best_step, bad_evals = score, report.steps, 0
                    best = trainable_state(acc.unwrap_model(net))
                else:
                    bad_evals += 1
                    if bad_evals >= config.patience:
                        stop = "early stopping"
            if checkpoints and (due or last_of_epoch or timed_out):
                _checkpoint(acc, checkpoints, micro, bad_evals, report, best)
            if timed_out and not stop:
                stop = "time cap"
        if stop or micro >= total_micro:
            break
    if bar is not None:
        bar.close()
    unwrapped = acc.unwrap_model(net)
    if best is not None:
        unwrapped.load_state_dict(best, strict=False)
    report.stopped = stop or "completed"
    report.seconds = time.perf_counter() - started
    report.battles_per_second = seen / max(report.seconds, 1e-9)
    unwrapped.eval()
    return report


def _any_process(acc: Any, flag: bool) -> bool:
    """True on every process when `flag` is True on any (processes must leave the loop together)."""
    if acc.num_processes == 1:
        return flag
    return bool(acc.reduce(torch.tensor([float(flag)], device=acc.device), reduction="sum").item() > 0)


def _agreed(acc: Any, value: float) -> float:
    """The processes' mean of `value` (the same on every process)."""
    if acc.num_processes == 1:
        return value
    return float(acc.reduce(torch.tensor([value], dtype=torch.float64, device=acc.device), reduction="mean").item())


def trainable_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the trainable tensors (what early stopping restores)."""
    names = {n for n, p in net.named_parameters() if p.requires_grad}
    return {k: v.detach().cpu().clone() for k, v in net.state_dict().items() if k in names}


def evaluate(net: torch.nn.Module, data: Encoded, batch_size: int, pad_id: int) -> float:
    """Mean cross entropy of the mirror-averaged predictions against the targets (log loss for hard labels)."""
    proba = predict_pairs(net, data.ids, data.swapped, batch_size, pad_id)
    known = data.targets.sum(axis=1) > 0
    p = np.clip(proba[known], 1e-15, 1)
    p /= p.sum(axis=1, keepdims=True)
    return float(-(data.targets[known] * np.log(p)).sum(axis=1).mean())


@torch.no_grad()
def predict_pairs(
    net: torch.nn.Module,
    ids: list[Ids],
    swapped: list[Ids],
    batch_size: int,
    pad_id: int,
    max_tokens: int | None = None,
) -> np.ndarray:
    """(n, 3) probabilities: softmax on both orders, the swapped one mirrored back, averaged. The two orders of a
    battle share a batch in a canonical row order (smaller token list first), so predicting the swapped battles
    runs exactly the same batches and gives exactly mirrored probabilities. A batch holds at most `batch_size`
    battles and, when given, `max_tokens` padded tokens counting both orders (prediction_batches); on a GPU it
    runs under autocast to the card's dtype (precision module)."""
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    head = getattr(net, "head", None)
    head_dtype = head.weight.dtype if head is not None else torch.float32
    out = np.zeros((len(ids), 3))
    for rows in prediction_batches(ids, swapped, batch_size, max_tokens):
        first = [min(ids[r], swapped[r]) for r in rows]
        second = [max(ids[r], swapped[r]) for r in rows]
        batch = {k: v.to(device) for k, v in pad_batch([*first, *second], pad_id).items()}
        with autocast(device, head_dtype):
            logits = net(**batch)
        proba = torch.softmax(logits.float(), dim=-1).cpu().numpy().astype(np.float64)
        p_first, p_second = proba[: len(rows)], proba[len(rows) :]
        for j, r in enumerate(rows):
            direct_is_first = ids[r] <= swapped[r]
            p_direct = p_first[j] if direct_is_first else p_second[j]
            p_swapped = p_second[j] if direct_is_first else p_first[j]
            out[r] = (p_direct + p_swapped[MIRROR]) / 2
    net.train(was_training)
    return out


def prediction_batches(
    ids: list[Ids], swapped: list[Ids], batch_size: int, max_tokens: int | None = None
) -> list[np.ndarray]:
    """Battles in length-sorted batches of at most `batch_size` and, when given, `max_tokens` padded tokens of the
    2 x rows sequences a batch runs (each battle with its swap; a battle longer than the cap goes alone)."""
    lengths = [max(len(a), len(b)) for a, b in zip(ids, swapped, strict=True)]
    return length_batches(lengths, batch_size, None if max_tokens is None else max(1, max_tokens // 2))


def _bar(total: int, enabled: bool, initial: int) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="fine-tuning", unit="batch", file=sys.stderr, leave=False)


def _show(bar: Any, progress: Progress | None, where: str, loss: float | None, rate: float) -> None:
    text = f"loss {loss:.4f} · {rate:.2f} battles/s" if loss is not None else ""
    if bar is not None:
        bar.set_postfix_str(text, refresh=False)
        bar.update(1)
    if progress is not None:
        progress(f"{where} · {text}")


def _checkpoint(
    acc: Any, folder: Path, micro: int, bad_evals: int, report: TrainReport, best: dict[str, torch.Tensor] | None
) -> None:
    acc.wait_for_everyone()
    acc.save_state(str(folder / "state"))
    if acc.is_main_process:
        if best is not None:
            torch.save(best, folder / _BEST_FILE)
        saved = {
            "micro": micro,
            "bad_evals": bad_evals,
            "history": report.history,
            "best_step": report.best_step,
            "best_loss": report.best_loss,
            "steps": report.steps,
        }
        (folder / _PROGRESS_FILE).write_text(json.dumps(saved))
