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
    return _shared(_present(left), _present(right))


def jaccard(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """Jaccard similarity of the word sets (0 when both are empty); symmetric in its arguments."""
    return _jaccard(shared_words(left, right), distinct_words(left), distinct_words(right))


def containment(part: sp.csr_matrix, whole: sp.csr_matrix) -> np.ndarray:
    """Share of `part`'s distinct words that also occur in `whole` (0 when `part` has no words)."""
    return _share(shared_words(part, whole), distinct_words(part))


def prompt_overlaps(prompt: sp.csr_matrix, a: sp.csr_matrix, b: sp.csr_matrix) -> dict[str, np.ndarray]:
    """The word overlaps of a battle in one pass (three intersections): containment of the prompt in A and B
    (echo_a/b), of A and B in the prompt (from_prompt_a/b), and the Jaccard similarity of A and B."""
    in_p, in_a, in_b = _present(prompt), _present(a), _present(b)
    p_a, p_b, a_b = _shared(in_p, in_a), _shared(in_p, in_b), _shared(in_a, in_b)
    size_p, size_a, size_b = distinct_words(prompt), distinct_words(a), distinct_words(b)
    return {
        "echo_a": _share(p_a, size_p),
        "echo_b": _share(p_b, size_p),
        "from_prompt_a": _share(p_a, size_a),
        "from_prompt_b": _share(p_b, size_b),
        "ab_jaccard": _jaccard(a_b, size_a, size_b),
    }


def _present(counts: sp.csr_matrix) -> sp.csr_matrix:
    """1 where a (positive) count is stored."""
    return sp.csr_matrix((np.ones_like(counts.data), counts.indices, counts.indptr), shape=counts.shape)


def _shared(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """Per row, how many columns are 1 in both 0/1 matrices."""
    return np.asarray(left.multiply(right).sum(axis=1), dtype=float).ravel()


def _share(inter: np.ndarray, size: np.ndarray) -> np.ndarray:
    return np.divide(inter, size, out=np.zeros_like(inter), where=size > 0)


def _jaccard(inter: np.ndarray, size_left: np.ndarray, size_right: np.ndarray) -> np.ndarray:
    union = size_left + size_right - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
