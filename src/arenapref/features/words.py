"""Word statistics from (hashed) word count matrices: unique-word ratio and word overlap between texts."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def distinct_words(counts: sp.csr_matrix) -> np.ndarray:
    """Number of distinct words per row."""
    return np.diff(counts.indptr).astype(float)


def unique_word_ratio(counts: sp.csr_matrix) -> np.ndarray:
    """Distinct words / words per row (0 for a text without words)."""
    total = np.asarray(counts.sum(axis=1)).ravel()
    return np.divide(distinct_words(counts), total, out=np.zeros_like(total), where=total > 0)


def shared_words(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """Number of distinct words that occur in both rows."""
    return np.asarray((left > 0).multiply(right > 0).sum(axis=1), dtype=float).ravel()


def jaccard(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """Jaccard similarity of the word sets (0 when both are empty); symmetric in its arguments."""
    inter = shared_words(left, right)
    union = distinct_words(left) + distinct_words(right) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def containment(part: sp.csr_matrix, whole: sp.csr_matrix) -> np.ndarray:
    """Share of `part`'s distinct words that also occur in `whole` (0 when `part` has no words)."""
    inter = shared_words(part, whole)
    size = distinct_words(part)
    return np.divide(inter, size, out=np.zeros_like(inter), where=size > 0)
