"""The torch part of `embed-mlp`: an antisymmetric pair network and its training loop (imported only when an
embed-mlp model is fit or loaded, so the core never imports torch).

The A logit is f(prompt, A, B) and the B logit f(prompt, B, A), one network with shared weights, so swapping the
responses exchanges the two logits; the tie logit g(...) reads only symmetric combinations (A + B, |A - B|, A * B),
so a swap leaves it unchanged. Loss: cross entropy against soft labels; early stopping on the held-out log loss.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from arenapref.models.embedding.pair_net_params import TrainParams


@dataclass
class PairInputs:
    """Float32 arrays: unit embeddings (n, dim) of prompt, A and B; standardised side statistics (n, k) of A, B."""

    prompt: np.ndarray
    a: np.ndarray
    b: np.ndarray
    stats_a: np.ndarray
    stats_b: np.ndarray

    def rows(self, index: np.ndarray) -> PairInputs:
        return PairInputs(self.prompt[index], self.a[index], self.b[index], self.stats_a[index], self.stats_b[index])

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return tuple(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)) for x in vars(self).values())


class PairNet(nn.Module):
    """Logits [A, B, tie] = [f(p, a, b), f(p, b, a), g(p, a + b, |a - b|, a * b)]."""

    def __init__(self, dim: int, n_stats: int, hidden: int = 128, dropout: float = 0.1, project: int = 64) -> None:
        super().__init__()
        self.project = nn.Linear(dim, project, bias=False)  # one projection for prompt and responses
        self.side = _mlp(5 * project + 3 * n_stats, hidden, dropout)
        self.tie = _mlp(4 * project + 2 * n_stats, hidden, dropout)

    def forward(
        self, p: torch.Tensor, a: torch.Tensor, b: torch.Tensor, sa: torch.Tensor, sb: torch.Tensor
    ) -> torch.Tensor:
        n = len(p)
        p, a, b = self.project(p), self.project(a), self.project(b)
        directed = torch.cat([_directed(p, a, b, sa, sb), _directed(p, b, a, sb, sa)])
        side = self.side(directed)[:, 0]
        tie = self.tie(torch.cat([p, a + b, (a - b).abs(), a * b, sa + sb, (sa - sb).abs()], dim=1))[:, 0]
        return torch.stack([side[:n], side[n:], tie], dim=1)


def _directed(p: torch.Tensor, x: torch.Tensor, y: torch.Tensor, sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    return torch.cat([p, x, y, x * p, x - y, sx, sy, sx - sy], dim=1)


def _mlp(inputs: int, hidden: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(inputs, hidden),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, 1),
    )


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return -(target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()


def train(
    inputs: PairInputs, target: np.ndarray, held_out: np.ndarray | None, params: TrainParams
) -> tuple[PairNet, dict[str, float]]:
    """Fit on the rows not in `held_out`; keep the weights of the epoch with the lowest held-out loss (stop after
    `patience` epochs without improvement). Without a held-out part, `fallback_epochs` epochs."""
    torch.manual_seed(params.seed)
    generator = torch.Generator().manual_seed(params.seed)
    net = PairNet(inputs.a.shape[1], inputs.stats_a.shape[1], params.hidden, params.dropout, params.project)
    optimiser = torch.optim.AdamW(net.parameters(), lr=params.lr, weight_decay=params.weight_decay)
    fit_rows = np.setdiff1d(np.arange(len(target)), held_out) if held_out is not None else np.arange(len(target))
    x, y = inputs.rows(fit_rows).tensors(), torch.from_numpy(target[fit_rows].astype(np.float32))
    val = (
        (inputs.rows(held_out).tensors(), torch.from_numpy(target[held_out].astype(np.float32)))
        if (held_out is not None and len(held_out))
        else None
    )
    best, best_state, best_epoch, epochs = np.inf, copy.deepcopy(net.state_dict()), 0, 0
    for epoch in range(params.max_epochs if val is not None else params.fallback_epochs):
        net.train()
        for batch in torch.randperm(len(y), generator=generator).split(params.batch_size):
            optimiser.zero_grad()
            loss = soft_cross_entropy(net(*(t[batch] for t in x)), y[batch])
            loss.backward()
            optimiser.step()
        epochs = epoch + 1
        if val is None:
            continue
        held = evaluate(net, *val)
        if held < best - 1e-5:
            best, best_state, best_epoch = held, copy.deepcopy(net.state_dict()), epochs
        elif epochs - best_epoch >= params.patience:
            break
    if val is not None:
        net.load_state_dict(best_state)
    net.eval()
    return net, {"epochs": epochs, "best_epoch": best_epoch, "held_out_loss": float(best)}


@torch.no_grad()
def evaluate(net: PairNet, x: tuple[torch.Tensor, ...], y: torch.Tensor) -> float:
    net.eval()
    return float(soft_cross_entropy(net(*x), y))


@torch.no_grad()
def logits(net: PairNet, inputs: PairInputs, batch: int = 4096) -> np.ndarray:
    """(n, 3) logits, in fixed-size batches (the same rows always meet the same computation)."""
    net.eval()
    x = inputs.tensors()
    parts = [net(*(t[i : i + batch] for t in x)).numpy() for i in range(0, len(x[0]), batch)]
    return np.vstack(parts).astype(np.float64) if parts else np.zeros((0, 3))
