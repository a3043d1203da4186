"""Pair features with known behaviour under swapping A and B, and the similarity measures between texts.

Every column is registered with how it mirrors: symmetric (unchanged), antisymmetric (negated) or as one
of an (A, B) pair (exchanged). The swapped battle's feature row is then a column permutation with signs, so
a model can see both orders without recomputing features, and tests can check the mirror exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from arenapref.features.style import normalised_difference


@dataclass
class FeatureMatrix:
    """Feature values (n, k) with names and the swap mirror: swapped[:, j] = values[:, mirror[j]] * sign[j]."""

    values: np.ndarray
    names: list[str]
    mirror: np.ndarray
    sign: np.ndarray

    def swapped(self) -> np.ndarray:
        """The features of the same battles with A and B exchanged."""
        return self.values[:, self.mirror] * self.sign

    def rows(self, index: np.ndarray) -> FeatureMatrix:
        return FeatureMatrix(self.values[index], self.names, self.mirror, self.sign)


@dataclass
class FeatureTable:
    """Accumulates named columns with their mirror rule, then assembles a FeatureMatrix."""

    columns: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    mirror: list[int] = field(default_factory=list)
    sign: list[float] = field(default_factory=list)

    def _add(self, name: str, values: np.ndarray, mirror: int, sign: float) -> None:
        if name in self.names:
            raise ValueError(f"duplicate feature {name!r}")
        self.columns.append(np.asarray(values, dtype=float))
        self.names.append(name)
        self.mirror.append(mirror)
        self.sign.append(sign)

    def symmetric(self, name: str, values: np.ndarray) -> None:
        """A column that a swap leaves unchanged (e.g. prompt length, similarity of A to B)."""
        self._add(name, values, len(self.names), 1.0)

    def antisymmetric(self, name: str, values: np.ndarray) -> None:
        """A column that a swap negates (e.g. A - B differences)."""
        self._add(name, values, len(self.names), -1.0)

    def sides(self, name: str, a: np.ndarray, b: np.ndarray) -> None:
        """`a_<name>` and `b_<name>`, exchanged by a swap."""
        i = len(self.names)
        self._add(f"a_{name}", a, i + 1, 1.0)
        self._add(f"b_{name}", b, i, 1.0)

    def compare(self, name: str, a: np.ndarray, b: np.ndarray, forms: tuple[str, ...]) -> None:
        """Both sides and the requested comparisons: diff (a-b), norm ((a-b)/(a+b)), log (log1p a - log1p b);
        the first comparison also as its absolute value (symmetric: how different, not which way)."""
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        self.sides(name, a, b)
        for i, form in enumerate(forms):
            if form == "diff":
                label, values = f"{name}_diff", a - b
            elif form == "norm":
                label, values = f"{name}_norm_diff", normalised_difference(a, b)
            elif form == "log":
                label, values = f"{name}_log_diff", np.log1p(a) - np.log1p(b)
            else:
                raise ValueError(f"unknown comparison {form!r}")
            self.antisymmetric(label, values)
            if i == 0:
                self.symmetric(f"{label}_abs", np.abs(values))

    def matrix(self, n_rows: int) -> FeatureMatrix:
        """The columns as float32 (half the memory; rounding to float32 keeps negations exact)."""
        values = np.column_stack(self.columns).astype(np.float32) if self.columns else np.zeros((n_rows, 0), np.float32)
        return FeatureMatrix(values, list(self.names), np.asarray(self.mirror), np.asarray(self.sign, np.float32))


def row_cosine(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """Cosine similarity of matching rows of two l2-normalised matrices."""
    return np.asarray(left.multiply(right).sum(axis=1), dtype=float).ravel()
