"""The embedding model: the fast model's LightGBM heads over its features plus sentence-embedding pair features
(features.embed_pairs): cos(prompt, A), cos(prompt, B), cos(A, B), the difference A - B reduced to principal
components, prompt-conditioned products and the prompt's components.

Everything else is the fast model's (models.trees.fast): both orders in training, mirror-averaged predictions (exact
position consistency, every embedding column has its swap mirror), tie head, temperatures and length prior chosen
on inner folds, LightGBM contributions as `explain` reasons. Embeddings are read from and written to the embedding
cache (features.encoders.cache), so a rerun on the same texts never loads the encoder.

`embed` uses WordLlama (static embeddings: the whole text, fast enough for Kaggle scale on a CPU);
`embed-minilm` uses all-MiniLM-L6-v2 (a transformer, head + tail windows). `encoder` also takes the path of any
local sentence-transformers folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from arenapref.features.embed_pairs import EmbeddingPairs, battle_sides, hstack
from arenapref.features.pair import FeatureMatrix
from arenapref.models.base import ModelDirError
from arenapref.models.trees.fast import FastModel
from arenapref.models.trees.fast_state import FastParams, FittedFastState

DEFAULT_SIZES = {"diff_components": 16, "product_components": 8, "prompt_components": 8}


class EmbedParams(FastParams):
    encoder: str
    embedding: dict[str, int]


class FittedEmbedState(FittedFastState):
    """The fast model's state plus the encoder and the fitted embedding pair features."""

    params: EmbedParams
    embedding_pairs: dict[str, Any]
    encoder_identity: str | None = None


class EmbedModel(FastModel):
    """LightGBM over the fast model's features and embedding pair features; symmetric in A/B."""

    name = "embed"
    state_schema = FittedEmbedState
    default_encoder = "wordllama"

    def __init__(self, encoder: str | None = None, embedding: dict[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder or self.default_encoder
        self.embedding = {**DEFAULT_SIZES, **(embedding or {})}
        self.pairs: EmbeddingPairs | None = None
        self.encoder_identity: str | None = None

    def _encoder(self) -> Any:
        from arenapref.features.encoders import get_encoder

        return get_encoder(self.encoder)

    def _fit_features(self, battles: pd.DataFrame) -> FeatureMatrix:
        matrix = super()._fit_features(battles)
        self._stage(f"embedding {len(battles):,} battles with {self.encoder}")
        encoder = self._encoder()
        self.encoder = encoder.spec  # resolved (precision included): the saved model encodes the same way
        sides = battle_sides(battles, encoder)
        self.encoder_identity = encoder.identity
        self.pairs = EmbeddingPairs(**self.embedding).fit(sides)
        return hstack(matrix, self.pairs.transform(sides))

    def _transform(self, battles: pd.DataFrame) -> FeatureMatrix:
        assert self.pairs is not None
        matrix = super()._transform(battles)
        return hstack(matrix, self.pairs.transform(battle_sides(battles, self._encoder())))

    def _feature_names(self) -> list[str]:
        assert self.builder is not None and self.pairs is not None
        return self.builder.names + self.pairs.names()

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "encoder": self.encoder, "embedding": self.embedding}

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        if self.pairs is not None:
            state["embedding_pairs"] = self.pairs.get_state()
            state["encoder_identity"] = self.encoder_identity
        return state

    def _restore_features(self, state: dict[str, Any], directory: Path) -> None:
        if "embedding_pairs" not in state:
            raise ModelDirError(f"{directory}: model state lacks embedding_pairs")
        self.pairs = EmbeddingPairs.from_state(state["embedding_pairs"])
        self.encoder_identity = state.get("encoder_identity")
        try:
            identity = self._encoder().identity
        except (ValueError, ImportError, OSError) as exc:
            raise ModelDirError(f"{directory}: encoder {self.encoder!r} unavailable ({exc})") from None
        if identity != self.encoder_identity:
            raise ModelDirError(
                f"{directory}: trained with encoder {self.encoder_identity}, this installation has {identity}; retrain"
            )


class EmbedMiniLMModel(EmbedModel):
    """The embedding model over all-MiniLM-L6-v2 sentence embeddings."""

    name = "embed-minilm"
    default_encoder = "minilm"
