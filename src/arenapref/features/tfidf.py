"""TF-IDF over hashed word or character n-grams, and a linear projection of A-minus-B TF-IDF differences.

Counting is stateless hashing (features/hashing.py); the vocabulary is the `vocab_size` hashed columns
with the highest document frequency in the training texts (fit sees training rows only). Everything fitted is
plain numbers, so the state is JSON (column indices, idf weights, projection components), never a pickle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from arenapref.features.hashing import char_ngram_counts, word_counts
from arenapref.features.response import Texts

#: Significant digits kept of fitted projection components: what is saved is exactly what was used.
COMPONENT_DIGITS = 7


class HashedTfidf:
    """Sublinear, l2-normalised TF-IDF on a fitted subset of hashed n-gram columns."""

    def __init__(
        self,
        analyzer: str = "word",
        ngram_range: tuple[int, int] = (1, 1),
        vocab_size: int = 20_000,
        min_df: int = 2,
        max_chars: int | None = None,
        n_features: int = 2**20,
    ) -> None:
        if analyzer not in ("word", "char"):
            raise ValueError(f"analyzer must be 'word' or 'char', got {analyzer!r}")
        self.analyzer = analyzer
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.vocab_size = vocab_size
        self.min_df = min_df
        self.max_chars = max_chars
        self.n_features = n_features
        self.columns = np.zeros(0, dtype=np.int64)
        self.idf = np.zeros(0)
        self._position: np.ndarray | None = None
        self._position_of: np.ndarray | None = None

    def counts(self, texts: Texts) -> sp.csr_matrix:
        """Raw hashed counts, (n, n_features): words, or character n-grams of the first max_chars characters."""
        if self.analyzer == "word":
            return word_counts(texts, self.n_features)
        return char_ngram_counts(texts, self.ngram_range, self.max_chars, self.n_features)

    def fit(self, counts: sp.csr_matrix) -> HashedTfidf:
        """Choose the vocabulary and idf weights from training documents' counts."""
        df = np.bincount(counts.indices, minlength=self.n_features)
        order = np.argsort(-df, kind="stable")
        keep = order[: self.vocab_size]
        keep = keep[df[keep] >= self.min_df]
        self.columns = np.sort(keep).astype(np.int64)
        n_docs = counts.shape[0]
        self.idf = np.log((1.0 + n_docs) / (1.0 + df[self.columns])) + 1.0
        return self

    @property
    def size(self) -> int:
        return len(self.columns)

    def transform(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """(n, size) TF-IDF rows: 1 + log(count) times idf, each row scaled to unit length."""
        new_index = self._positions()[counts.indices]
        kept = new_index >= 0
        row = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))[kept]
        values = (1.0 + np.log(counts.data[kept])) * self.idf[new_index[kept]]
        out = sp.csr_matrix((values, (row, new_index[kept])), shape=(counts.shape[0], self.size))
        return normalize(out, norm="l2", copy=False) if self.size and out.shape[0] else out

    def _positions(self) -> np.ndarray:
        """Vocabulary position of each hashed column (-1 outside it); built once per fitted vocabulary."""
        if self._position is None or self._position_of is not self.columns:
            self._position = np.full(self.n_features, -1, dtype=np.int64)
            self._position[self.columns] = np.arange(self.size)
            self._position_of = self.columns
        return self._position

    def get_state(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "vocab_size": self.vocab_size,
            "min_df": self.min_df,
            "max_chars": self.max_chars,
            "n_features": self.n_features,
            "columns": self.columns.tolist(),
            "idf": self.idf.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> HashedTfidf:
        out = cls(
            analyzer=state["analyzer"],
            ngram_range=(int(state["ngram_range"][0]), int(state["ngram_range"][1])),
            vocab_size=state["vocab_size"],
            min_df=state["min_df"],
            max_chars=state["max_chars"],
            n_features=state["n_features"],
        )
        out.columns = np.asarray(state["columns"], dtype=np.int64)
        out.idf = np.asarray(state["idf"], dtype=float)
        return out


class Projection:
    """A few dense directions of sparse TF-IDF rows (truncated SVD fit on training rows), e.g. of TF-IDF(A) -
    TF-IDF(B) or of the prompt.

    The projection is linear, so the swapped battle's difference (its negation) projects to exactly the
    negated components: features of differences stay antisymmetric.
    """

    def __init__(self, n_components: int = 16, seed: int = 0) -> None:
        self.n_components = n_components
        self.seed = seed
        self.components = np.zeros((0, 0))

    def fit(self, rows: sp.csr_matrix) -> Projection:
        k = min(self.n_components, rows.shape[1] - 1, rows.shape[0] - 1)
        if k < 1:
            self.components = np.zeros((0, rows.shape[1]))
            return self
        with np.errstate(invalid="ignore", divide="ignore"):  # explained-variance ratio of an all-zero difference
            svd = TruncatedSVD(n_components=k, algorithm="randomized", random_state=self.seed).fit(rows)
        self.components = _round_significant(svd.components_, COMPONENT_DIGITS)
        return self

    def transform(self, rows: sp.csr_matrix) -> np.ndarray:
        if self.components.shape[0] == 0:
            return np.zeros((rows.shape[0], 0))
        return np.asarray(rows @ self.components.T)

    def get_state(self) -> dict[str, Any]:
        return {
            "n_components": self.n_components,
            "seed": self.seed,
            "shape": list(self.components.shape),
            "components": self.components.ravel().tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Projection:
        out = cls(state["n_components"], state["seed"])
        out.components = np.asarray(state["components"], dtype=float).reshape(state["shape"])
        return out


def _round_significant(values: np.ndarray, digits: int) -> np.ndarray:
    """Values rounded to `digits` significant digits (short JSON, exact round trip)."""
    return np.array([float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float).ravel()]).reshape(values.shape)
