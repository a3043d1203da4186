"""Pseudo-labels: battles with a teacher's probabilities as soft labels (soft_a, soft_b, soft_tie), which every
trainer reads as targets (data.schema.targets), optionally kept only where the teacher is confident enough."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arenapref.data.schema import SOFT_COLUMNS, conform


@dataclass(frozen=True)
class PseudoLabelReport:
    """What the confidence filter did: rows in, rows kept, rows dropped below the threshold."""

    rows: int
    kept: int
    min_confidence: float | None

    @property
    def dropped(self) -> int:
        return self.rows - self.kept

    def line(self) -> str:
        rule = f"max probability >= {self.min_confidence:g}" if self.min_confidence is not None else "no filter"
        return f"pseudo-labels: kept {self.kept:,} of {self.rows:,} battles ({rule}; dropped {self.dropped:,})"


def pseudo_label(
    battles: pd.DataFrame, proba: np.ndarray, min_confidence: float | None = None
) -> tuple[pd.DataFrame, PseudoLabelReport]:
    """The battles with `proba` (n, 3) as soft labels, rows whose top probability is below `min_confidence`
    dropped (and counted). Hard labels, when present, are kept beside the soft ones (targets() prefers soft)."""
    proba = np.asarray(proba, dtype=float)
    if proba.shape != (len(battles), 3):
        raise ValueError(f"expected ({len(battles)}, 3) probabilities, got {proba.shape}")
    if min_confidence is not None and not 1 / 3 <= min_confidence <= 1:
        raise ValueError(f"min_confidence must lie in [1/3, 1], got {min_confidence}")
    keep = np.ones(len(battles), dtype=bool) if min_confidence is None else proba.max(axis=1) >= min_confidence
    out = battles.copy()
    for i, column in enumerate(SOFT_COLUMNS):
        out[column] = proba[:, i]
    out["tie_allowed"] = True  # a teacher's distribution has a tie class
    out = conform(out[keep])
    return out, PseudoLabelReport(len(battles), int(keep.sum()), min_confidence)
