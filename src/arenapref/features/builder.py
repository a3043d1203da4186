"""The whole feature matrix of a battle table, with a serialisable configuration and fitted state.

`FeatureBuilder.fit(train)` fits the TF-IDF vocabularies and projections on training rows only (a sample of
at most `fit_rows` battles); `transform(battles)` applies them chunk by chunk, so memory stays bounded.
Every column has a known mirror under swapping A and B (see pair.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed

from arenapref.features.cues import CUE_PATTERNS, character_shares, content_cues
from arenapref.features.pair import FeatureMatrix, FeatureTable, row_cosine
from arenapref.features.response import MARKDOWN_COLUMNS, SIZE_COLUMNS, markdown_counts, response_stats
from arenapref.features.text import side_text
from arenapref.features.tfidf import HashedTfidf, Projection
from arenapref.features.words import containment, jaccard, unique_word_ratio

#: Bumped whenever a feature's definition changes: saved models built with another version are refused.
FEATURE_VERSION = 1
_PHRASE_CUES = ("refusal", "apology", "ai_disclaimer", "caveat")
_SHARES = ("repeated_lines", "digit_share", "non_latin_share", "upper_share", "emoji", "ends_with_question")


@dataclass(frozen=True)
class FeatureConfig:
    """Feature settings; saved with a model, so prediction rebuilds exactly the training features."""

    word_vocab: int = 20_000
    char_vocab: int = 20_000
    char_ngrams: tuple[int, int] = (3, 5)
    char_max_chars: int = 300
    min_df: int = 2
    svd_components: int = 16
    fit_rows: int = 20_000
    chunk_rows: int = 5_000
    seed: int = 0
    version: int = FEATURE_VERSION

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["char_ngrams"] = list(self.char_ngrams)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        data = dict(data)
        if "char_ngrams" in data:
            data["char_ngrams"] = tuple(data["char_ngrams"])
        return cls(**data)


@dataclass
class _Texts:
    prompt: pd.Series
    a: pd.Series
    b: pd.Series


class FeatureBuilder:
    """Builds the feature matrix: per-response statistics, pair relations and TF-IDF difference components."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        c = self.config
        self.word = HashedTfidf("word", (1, 1), c.word_vocab, c.min_df)
        self.char = HashedTfidf("char", c.char_ngrams, c.char_vocab, c.min_df, max_chars=c.char_max_chars)
        self.word_projection = Projection(c.svd_components, c.seed)
        self.char_projection = Projection(c.svd_components, c.seed)
        self.names: list[str] = []
        self.fitted = False

    def fit(self, battles: pd.DataFrame) -> FeatureBuilder:
        """Fit vocabularies and projections on (a sample of at most `fit_rows` of) these training battles."""
        c = self.config
        self.names = []
        sample = battles
        if len(battles) > c.fit_rows:
            rows = np.sort(np.random.default_rng(c.seed).choice(len(battles), c.fit_rows, replace=False))
            sample = battles.iloc[rows]
        texts = [side_text(sample, col).reset_index(drop=True) for col in ("response_a", "response_b")]
        word = [self.word.counts(t) for t in texts]
        char = [self.char.counts(t) for t in texts]
        self.word.fit(sp.vstack(word).tocsr())
        self.char.fit(sp.vstack(char).tocsr())
        self.word_projection.fit((self.word.transform(word[0]) - self.word.transform(word[1])).tocsr())
        self.char_projection.fit((self.char.transform(char[0]) - self.char.transform(char[1])).tocsr())
        self.fitted = True
        self.names = self._chunk(battles.iloc[:1]).names
        return self

    def fit_transform(self, battles: pd.DataFrame, n_jobs: int = 1) -> FeatureMatrix:
        """Fit on these (training) battles and return their features."""
        return self.fit(battles).transform(battles, n_jobs)

    def transform(self, battles: pd.DataFrame, n_jobs: int = 1) -> FeatureMatrix:
        """Features of any battles, computed in chunks of `chunk_rows` (in parallel processes when n_jobs > 1)."""
        if not self.fitted:
            raise RuntimeError("FeatureBuilder.transform called before fit")
        size = self.config.chunk_rows
        chunks = [battles.iloc[i : i + size] for i in range(0, len(battles), size)] or [battles]
        if n_jobs > 1 and len(chunks) > 1:
            parts = Parallel(n_jobs=n_jobs)(delayed(self._chunk)(chunk) for chunk in chunks)
        else:
            parts = [self._chunk(chunk) for chunk in chunks]
        first = parts[0]
        values = np.vstack([p.values for p in parts])
        return FeatureMatrix(values, first.names, first.mirror, first.sign)

    def _chunk(self, battles: pd.DataFrame) -> FeatureMatrix:
        texts = _Texts(*(side_text(battles, c).reset_index(drop=True) for c in ("prompt", "response_a", "response_b")))
        table = FeatureTable()
        self._response_features(table, battles, texts)
        words = [self.word.counts(t) for t in (texts.prompt, texts.a, texts.b)]
        word_p, word_a, word_b = (self.word.transform(w) for w in words)
        char_a, char_b = (self.char.transform(self.char.counts(t)) for t in (texts.a, texts.b))
        self._word_features(table, words, (word_p, word_a, word_b))
        self._pair_features(table, texts, (word_a, word_b), (char_a, char_b))
        for kind, projection, (a, b) in (
            ("word", self.word_projection, (word_a, word_b)),
            ("char", self.char_projection, (char_a, char_b)),
        ):
            components = projection.transform((a - b).tocsr())
            for i in range(components.shape[1]):
                table.antisymmetric(f"{kind}_tfidf_diff_{i}", components[:, i])
        matrix = table.matrix(len(battles))
        if self.names and matrix.names != self.names:
            raise RuntimeError("feature names differ from those fitted")
        return matrix

    @staticmethod
    def _response_features(table: FeatureTable, battles: pd.DataFrame, texts: _Texts) -> None:
        stats = [response_stats(t, battles[c]) for t, c in ((texts.a, "response_a"), (texts.b, "response_b"))]
        for name in SIZE_COLUMNS:
            table.compare(name, stats[0][name], stats[1][name], ("log", "norm"))
        for name in MARKDOWN_COLUMNS:
            table.compare(name, stats[0][name], stats[1][name], ("diff", "norm"))
        table.compare("null_turns", stats[0]["null_turns"], stats[1]["null_turns"], ("diff",))
        table.sides("empty", stats[0]["empty"], stats[1]["empty"])
        for name in ("mean_word_chars", "mean_line_words", "ends_open"):
            table.compare(name, stats[0][name], stats[1][name], ("diff",))
        cues = [content_cues(texts.a), content_cues(texts.b)]
        for name in _PHRASE_CUES:
            table.compare(name, cues[0][name], cues[1][name], ("diff",))
        for name in (n for n in CUE_PATTERNS if n not in _PHRASE_CUES):
            table.compare(name, cues[0][name], cues[1][name], ("diff", "norm"))
        for name in _SHARES:
            table.compare(name, cues[0][name], cues[1][name], ("diff",))

    @staticmethod
    def _word_features(table: FeatureTable, counts: list[sp.csr_matrix], tfidf: tuple[sp.csr_matrix, ...]) -> None:
        prompt, a, b = counts
        table.compare("unique_word_ratio", unique_word_ratio(a), unique_word_ratio(b), ("diff",))
        table.compare("prompt_echo", containment(prompt, a), containment(prompt, b), ("diff",))
        table.compare("from_prompt", containment(a, prompt), containment(b, prompt), ("diff",))
        cos_a, cos_b = row_cosine(tfidf[0], tfidf[1]), row_cosine(tfidf[0], tfidf[2])
        table.compare("prompt_cosine", cos_a, cos_b, ("diff",))
        table.symmetric("ab_jaccard", jaccard(a, b))

    @staticmethod
    def _pair_features(
        table: FeatureTable, texts: _Texts, word: tuple[sp.csr_matrix, sp.csr_matrix], char: tuple[sp.csr_matrix, ...]
    ) -> None:
        table.symmetric("ab_cosine_word", row_cosine(*word))
        table.symmetric("ab_cosine_char", row_cosine(*char))
        table.symmetric("identical", (texts.a.str.strip() == texts.b.str.strip()).to_numpy(dtype=float))
        prompt = markdown_counts(texts.prompt)
        prompt_size = np.log1p(prompt["chars"].to_numpy(dtype=float))
        table.sides(
            "chars_vs_prompt", np.log1p(texts.a.str.len()) - prompt_size, np.log1p(texts.b.str.len()) - prompt_size
        )
        for name in ("chars", "words", "lines", "code_block", "list", "inline_code"):
            table.symmetric(f"prompt_{name}", prompt[name].to_numpy(dtype=float))
        table.symmetric("prompt_non_latin_share", character_shares(texts.prompt)["non_latin_share"].to_numpy())
        table.symmetric("prompt_question", texts.prompt.str.count(r"\?").to_numpy(dtype=float))

    def get_state(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "names": self.names,
            "word": self.word.get_state(),
            "char": self.char.get_state(),
            "word_projection": self.word_projection.get_state(),
            "char_projection": self.char_projection.get_state(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FeatureBuilder:
        """Rebuild a fitted builder; raises ValueError when the state was made by another feature version."""
        config = FeatureConfig.from_dict(state["config"])
        if config.version != FEATURE_VERSION:
            raise ValueError(f"features of version {config.version}, this arenapref builds version {FEATURE_VERSION}")
        out = cls(config)
        out.word = HashedTfidf.from_state(state["word"])
        out.char = HashedTfidf.from_state(state["char"])
        out.word_projection = Projection.from_state(state["word_projection"])
        out.char_projection = Projection.from_state(state["char_projection"])
        out.names = list(state["names"])
        out.fitted = True
        return out
