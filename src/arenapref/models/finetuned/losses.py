"""Losses on (n, 3) logits [A wins, B wins, tie]: soft-label cross entropy and distillation from a teacher.

preference_loss = alpha * CE(targets, student) + (1 - alpha) * T^2 * KL(teacher_T || student_T), averaged over
rows; a row whose targets are all zero (no label) trains on the teacher alone, a row with no teacher on its
labels alone.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from arenapref.models.finetuned.config import LossConfig


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-row cross entropy against probability targets (one-hot targets give the usual CE)."""
    return -(targets * F.log_softmax(logits.float(), dim=-1)).sum(dim=-1)


def distillation_kl(logits: torch.Tensor, teacher: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Per-row T^2 * KL(teacher_T || softmax(logits / T)); `teacher` holds probabilities (sharpened or flattened
    by the same temperature: p^(1/T), renormalised)."""
    t = float(temperature)
    log_p = torch.log(teacher.float().clamp_min(1e-12))
    teacher_t = F.softmax(log_p / t, dim=-1)
    log_student = F.log_softmax(logits.float() / t, dim=-1)
    kl = (teacher_t * (torch.log(teacher_t.clamp_min(1e-12)) - log_student)).sum(dim=-1)
    return kl * t * t


def preference_loss(
    logits: torch.Tensor, targets: torch.Tensor, teacher: torch.Tensor | None = None, config: Any = None
) -> torch.Tensor:
    """Mean loss over rows (see the module docstring); `teacher` rows of NaN mean no teacher for that row."""
    config = config or LossConfig()
    has_label = targets.sum(dim=-1) > 0
    ce = soft_cross_entropy(logits, targets)
    if teacher is None:
        if not bool(has_label.all()):
            raise ValueError("rows without a label need a teacher")
        return ce.mean()
    has_teacher = ~torch.isnan(teacher).any(dim=-1)
    kl = distillation_kl(logits, torch.nan_to_num(teacher, nan=1 / 3), config.temperature)
    alpha = torch.full_like(ce, config.alpha)
    alpha = torch.where(has_teacher, alpha, torch.ones_like(alpha))
    alpha = torch.where(has_label, alpha, torch.zeros_like(alpha))
    if not bool((has_label | has_teacher).all()):
        raise ValueError("a row has neither a label nor a teacher")
    return (alpha * ce + (1 - alpha) * kl).mean()
