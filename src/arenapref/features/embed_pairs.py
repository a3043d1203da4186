"""Pair features from sentence embeddings of the prompt and the two responses, with the same swap mirror as the
fast model's columns (features.pair), under names that read in `explain`:

- `a_emb_cos_prompt`, `b_emb_cos_prompt` (exchanged by a swap): cosine of each response with the prompt (does it
  address it), and `emb_cos_prompt_diff` (antisymmetric) with its absolute value;
- `emb_cos_ab` (symmetric): cosine of the two responses (do they say the same thing);
- `emb_diff_pc<i>` (antisymmetric): the difference A - B projected on its top principal directions (fit on
  training differences, uncentred, so the projection of B - A is exactly the negation);
- `emb_prompt_x_diff_pc<i>` (antisymmetric): the prompt-conditioned product prompt * (A - B), projected the same
  way (which direction of difference matters for this kind of prompt);
- `emb_prompt_pc<i>` (symmetric): the prompt's own principal components (the kind of prompt).
Embeddings come in unit length (features.encoders).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from arenapref.features.pair import FeatureMatrix, FeatureTable


@dataclass(frozen=True)
class Sides:
    """Unit-length embeddings (n, dim) of the prompts and of responses A and B."""

    prompt: np.ndarray
    a: np.ndarray
    b: np.ndarray


def _top_directions(x: np.ndarray, k: int, centre: bool) -> tuple[np.ndarray, np.ndarray]:
    """(mean, (k, dim) top right singular vectors) of x; mean zero when not centred. Signs fixed so the largest
    coordinate of each direction is positive (deterministic)."""
    mean = x.mean(axis=0) if centre else np.zeros(x.shape[1])
    k = min(k, *x.shape)
    if k <= 0:
        return mean, np.zeros((0, x.shape[1]))
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    vt = vt[:k]
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    return mean, vt * signs[:, None]


class EmbeddingPairs:
    """Fits the projections on training embeddings; transforms any battles' embeddings into a FeatureMatrix."""

    def __init__(self, diff_components: int = 16, product_components: int = 8, prompt_components: int = 8) -> None:
        self.sizes = (diff_components, product_components, prompt_components)
        self.diff = np.zeros((0, 0))
        self.product = np.zeros((0, 0))
        self.prompt_mean = np.zeros(0)
        self.prompt = np.zeros((0, 0))

    def fit(self, sides: Sides) -> EmbeddingPairs:
        d = (sides.a - sides.b).astype(np.float64)
        _, self.diff = _top_directions(d, self.sizes[0], centre=False)
        _, self.product = _top_directions(d * sides.prompt, self.sizes[1], centre=False)
        self.prompt_mean, self.prompt = _top_directions(sides.prompt.astype(np.float64), self.sizes[2], centre=True)
        return self

    def transform(self, sides: Sides) -> FeatureMatrix:
        table = FeatureTable()
        table.compare("emb_cos_prompt", _cos(sides.prompt, sides.a), _cos(sides.prompt, sides.b), ("diff",))
        table.symmetric("emb_cos_ab", _cos(sides.a, sides.b))
        d = (sides.a - sides.b).astype(np.float64)
        for i, column in enumerate((d @ self.diff.T).T):
            table.antisymmetric(f"emb_diff_pc{i}", column)
        for i, column in enumerate(((d * sides.prompt) @ self.product.T).T):
            table.antisymmetric(f"emb_prompt_x_diff_pc{i}", column)
        for i, column in enumerate(((sides.prompt - self.prompt_mean) @ self.prompt.T).T):
            table.symmetric(f"emb_prompt_pc{i}", column)
        return table.matrix(len(sides.a))

    def names(self) -> list[str]:
        """The fitted columns' names (from one battle of zero vectors: nothing is encoded)."""
        zero = np.zeros((1, self.prompt.shape[1] if self.prompt.size else self.diff.shape[1]), dtype=np.float32)
        return self.transform(Sides(zero, zero, zero)).names

    def get_state(self) -> dict[str, Any]:
        return {
            "sizes": list(self.sizes),
            "diff": self.diff.tolist(),
            "product": self.product.tolist(),
            "prompt_mean": self.prompt_mean.tolist(),
            "prompt": self.prompt.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EmbeddingPairs:
        out = cls(*state["sizes"])
        out.diff, out.product = np.asarray(state["diff"]), np.asarray(state["product"])
        out.prompt_mean, out.prompt = np.asarray(state["prompt_mean"]), np.asarray(state["prompt"])
        return out


def hstack(left: FeatureMatrix, right: FeatureMatrix) -> FeatureMatrix:
    """Columns of `left` then `right`, mirrors kept (right's mirror indices shifted)."""
    shift = len(left.names)
    return FeatureMatrix(
        np.hstack([left.values, right.values.astype(left.values.dtype)]),
        left.names + right.names,
        np.concatenate([left.mirror, right.mirror + shift]),
        np.concatenate([left.sign, right.sign]).astype(left.sign.dtype),
    )


def _cos(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise dot products of unit vectors (0 where either is a zero vector)."""
    return np.einsum("ij,ij->i", x.astype(np.float64), y.astype(np.float64))


def battle_sides(battles: Any, encoder: Any, cache: Any = None) -> Sides:
    """Embeddings of each battle's prompt and responses (turns joined, features.text), through the cache; one
    encoder call for all three columns so each distinct text is encoded once."""
    from arenapref.features.encoders import encode_cached
    from arenapref.features.text import side_texts

    n = len(battles)
    texts = [t for column in ("prompt", "response_a", "response_b") for t in side_texts(battles, column)]
    vectors = encode_cached(encoder, texts, cache)
    return Sides(vectors[:n], vectors[n : 2 * n], vectors[2 * n :])
