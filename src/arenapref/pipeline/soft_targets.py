"""Distillation for any trainer that reads soft labels (the fast model, the embedding models, the fine-tuned ones):
the teacher folded into the battle table's soft-label columns.

Targets become alpha * y + (1 - alpha) * q (q alone where there is no label). For any student s,
CE(alpha * y + (1 - alpha) * q, s) = alpha * CE(y, s) + (1 - alpha) * KL(q || s) + (1 - alpha) * H(q), and H(q)
does not depend on the student: this is the distillation loss at T = 1, up to a constant. Temperatures other than
1 need the loss itself (distill_loss.distillation_loss) inside a torch trainer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arenapref.data.schema import SOFT_COLUMNS, conform, targets


def with_teacher(battles: pd.DataFrame, teacher: np.ndarray, alpha: float) -> pd.DataFrame:
    """The battles with soft labels alpha * targets + (1 - alpha) * teacher (teacher alone on unlabelled rows;
    rows whose teacher is NaN keep their own labels)."""
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    teacher = np.asarray(teacher, dtype=float)
    if teacher.shape != (len(battles), 3):
        raise ValueError(f"expected ({len(battles)}, 3) teacher probabilities, got {teacher.shape}")
    y = targets(battles)
    labelled = y.sum(axis=1) > 0
    weight = np.where(labelled, alpha, 0.0)[:, None]
    has_teacher = ~np.isnan(teacher).any(axis=1)
    mixed = weight * y + (1 - weight) * np.nan_to_num(teacher)
    out = battles.copy()
    for i, column in enumerate(SOFT_COLUMNS):
        out[column] = np.where(has_teacher, mixed[:, i], battles[column].to_numpy(dtype=float))
    return conform(out)
