"""The distillation loss, a pure function of (n, 3) student logits, label targets and teacher probabilities:

    loss_i = alpha * CE(y_i, softmax(z_i)) + (1 - alpha) * T^2 * KL(q_i^T || softmax(z_i / T))

where q^T = softmax(log q / T) is the teacher's distribution at temperature T (q^(1/T), renormalised), averaged
over rows. A row with no label (all-zero targets) trains on the teacher alone (its alpha is 0). The T^2 factor
keeps the gradient scale of the soft term independent of T (Hinton et al., 2015). torch is imported inside.
"""

from __future__ import annotations

from typing import Any

EPS = 1e-12


def distillation_loss(logits: Any, targets: Any, teacher: Any, alpha: float = 0.5, temperature: float = 1.0) -> Any:
    """Mean loss over rows (a 0-dim tensor). `targets`: (n, 3) probabilities (one-hot for hard labels; zeros for
    no label); `teacher`: (n, 3) probabilities."""
    import torch
    import torch.nn.functional as F

    if not 0 <= alpha <= 1 or temperature <= 0:
        raise ValueError(f"need 0 <= alpha <= 1 and temperature > 0, got alpha={alpha}, T={temperature}")
    logits, targets, teacher = (torch.as_tensor(v).float() for v in (logits, targets, teacher))
    t = float(temperature)
    ce = -(targets * F.log_softmax(logits, dim=-1)).sum(dim=-1)
    soft_teacher = F.softmax(torch.log(teacher.clamp_min(EPS)) / t, dim=-1)
    log_student = F.log_softmax(logits / t, dim=-1)
    kl = (soft_teacher * (torch.log(soft_teacher.clamp_min(EPS)) - log_student)).sum(dim=-1) * t * t
    has_label = targets.sum(dim=-1) > 0
    weight = torch.where(has_label, torch.full_like(ce, alpha), torch.zeros_like(ce))
    return (weight * ce + (1 - weight) * kl).mean()
