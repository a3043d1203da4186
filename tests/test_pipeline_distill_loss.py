"""The distillation loss equals a hand computation on a small batch (labelled and unlabelled rows, T != 1)."""

from __future__ import annotations

import math

import pytest

from arenapref.pipeline.distill_loss import distillation_loss

LOGITS = [[1.0, 0.0, -1.0], [0.5, 0.5, 0.0], [-0.2, 0.4, 0.1]]
TARGETS = [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.1, 0.7, 0.2]]  # row 2: no label; row 3: a soft label
TEACHER = [[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]


def softmax(z: list[float]) -> list[float]:
    e = [math.exp(v) for v in z]
    return [v / sum(e) for v in e]


def by_hand(alpha: float, t: float) -> float:
    total = 0.0
    for z, y, q in zip(LOGITS, TARGETS, TEACHER, strict=True):
        p = softmax(z)
        ce = -sum(yi * math.log(pi) for yi, pi in zip(y, p, strict=True))
        q_t = [qi ** (1 / t) for qi in q]
        q_t = [v / sum(q_t) for v in q_t]
        p_t = softmax([v / t for v in z])
        kl = sum(a * math.log(a / b) for a, b in zip(q_t, p_t, strict=True))
        a = alpha if sum(y) > 0 else 0.0
        total += a * ce + (1 - a) * t * t * kl
    return total / len(LOGITS)


@pytest.mark.parametrize(("alpha", "t"), [(0.3, 2.0), (0.5, 1.0), (1.0, 3.0), (0.0, 0.5)])
def test_distillation_loss_equals_hand_computation(alpha: float, t: float) -> None:
    value = float(distillation_loss(LOGITS, TARGETS, TEACHER, alpha=alpha, temperature=t))
    assert value == pytest.approx(by_hand(alpha, t), rel=1e-5)  # float32 arithmetic


def test_unlabelled_rows_train_on_the_teacher_alone() -> None:
    only_teacher = float(distillation_loss(LOGITS[1:2], TARGETS[1:2], TEACHER[1:2], alpha=0.9, temperature=2.0))
    pure_kl = float(distillation_loss(LOGITS[1:2], [[0.0, 0.0, 0.0]], TEACHER[1:2], alpha=0.0, temperature=2.0))
    assert only_teacher == pytest.approx(pure_kl) and only_teacher > 0


def test_gradient_flows_and_bad_settings_are_refused() -> None:
    import torch

    logits = torch.tensor(LOGITS, requires_grad=True)
    distillation_loss(logits, TARGETS, TEACHER, alpha=0.3, temperature=2.0).backward()
    assert logits.grad is not None and bool(torch.isfinite(logits.grad).all()) and float(logits.grad.abs().sum()) > 0
    with pytest.raises(ValueError, match="alpha"):
        distillation_loss(LOGITS, TARGETS, TEACHER, alpha=1.5)
