"""The distillation loss, a pure function of (n, 3) student logits, label targets and teacher probabilities:

    loss_i = alpha * CE(y_i, softmax(z_i)) + (1 - alpha) * T^2 * KL(q_i^T || softmax(z_i / T))

where q^T = softmax(log q / T) is the teacher's distribution at temperature T (q^(1/T), renormalised), averaged
over rows. A row with no label (all-zero targets) trains on the teacher alone (its alpha is 0). The T^2 factor
keeps the gradient scale of the soft term independent of T (Hinton et al., 2015). The fine-tuning trainer's
losses.preference_loss computes it (this is its entry point for any teacher); torch is imported inside.
"""

from __future__ import annotations

from typing import Any


def distillation_loss(logits: Any, targets: Any, teacher: Any, alpha: float = 0.5, temperature: float = 1.0) -> Any:
    """Mean loss over rows (a 0-dim tensor). `targets`: (n, 3) probabilities (one-hot for hard labels; zeros for
    no label); `teacher`: (n, 3) probabilities."""
    import torch

    from arenapref.models.finetuned.config import LossConfig
    from arenapref.models.finetuned.losses import preference_loss

    if not 0 <= alpha <= 1 or temperature <= 0:
        raise ValueError(f"need 0 <= alpha <= 1 and temperature > 0, got alpha={alpha}, T={temperature}")
    logits, targets, teacher = (torch.as_tensor(v).float() for v in (logits, targets, teacher))
    return preference_loss(logits, targets, teacher, LossConfig(alpha=alpha, temperature=temperature))
