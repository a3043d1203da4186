"""Length-sorted dynamic batches (every row once, limits kept, little padding) and the losses (by hand)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from arenapref.models.finetuned.collator import length_batches, pad_batch, padding_share  # noqa: E402
from arenapref.models.finetuned.config import LossConfig  # noqa: E402
from arenapref.models.finetuned.losses import distillation_kl, preference_loss, soft_cross_entropy  # noqa: E402


def test_length_batches_cover_every_row_once_within_limits() -> None:
    lengths = np.random.default_rng(0).integers(5, 200, size=101)
    for shuffle in (False, True):
        batches = length_batches(lengths, batch_size=8, max_tokens=600, shuffle=shuffle, seed=1)
        rows = np.concatenate(batches)
        assert sorted(rows.tolist()) == list(range(101))
        assert all(len(b) <= 8 for b in batches)
        assert all(len(b) == 1 or len(b) * lengths[b].max() <= 600 for b in batches)
    unsorted = [np.arange(i, min(i + 8, 101)) for i in range(0, 101, 8)]
    sorted_batches = length_batches(lengths, batch_size=8)
    assert padding_share(sorted_batches, lengths) < 0.1 and padding_share(unsorted, lengths) > 0.3
    # batches go shortest first when not shuffled; shuffling changes the order only
    assert [lengths[b].max() for b in sorted_batches] == sorted(lengths[b].max() for b in sorted_batches)


def test_pad_batch_pads_to_the_longest_row_only() -> None:
    batch = pad_batch([[5, 6, 7], [8]], pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


def test_soft_cross_entropy_matches_hand_computation() -> None:
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0]])
    soft = torch.tensor([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]])
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    hand = -(soft * log_p).sum(dim=1)
    assert torch.allclose(soft_cross_entropy(logits, soft), hand)
    one_hot = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1]))
    assert torch.allclose(preference_loss(logits, one_hot), expected)


def test_distillation_loss_matches_hand_computation() -> None:
    logits = torch.tensor([[1.0, -0.5, 0.2], [0.3, 0.1, -2.0], [0.0, 1.0, 0.5]])
    teacher = torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [float("nan")] * 3])
    labels = torch.tensor([[1.0, 0, 0], [0.0, 0, 0], [0, 0, 1.0]])  # row 2 unlabelled, row 3 without teacher
    t, alpha = 2.0, 0.25
    loss = preference_loss(logits, labels, teacher, LossConfig(alpha=alpha, temperature=t))

    def kl(row: int) -> float:
        q = np.asarray(teacher[row]) ** (1 / t)
        q /= q.sum()
        z = np.asarray(logits[row]) / t
        log_s = z - np.log(np.exp(z).sum())
        return float((q * (np.log(q) - log_s)).sum() * t * t)

    def ce(row: int) -> float:
        z = np.asarray(logits[row])
        return float(-(np.asarray(labels[row]) * (z - np.log(np.exp(z).sum()))).sum())

    hand = (alpha * ce(0) + (1 - alpha) * kl(0) + kl(1) + ce(2)) / 3
    assert float(loss) == pytest.approx(hand, rel=1e-5)
    assert float(distillation_kl(logits[:1], teacher[:1], t)) == pytest.approx(kl(0), rel=1e-5)
    with pytest.raises(ValueError, match="teacher"):
        preference_loss(logits, labels)
