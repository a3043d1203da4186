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
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from joblib import Parallel, delayed

from arenapref.features.cues import CUE_PATTERNS, cue_arrays
from arenapref.features.pair import FeatureMatrix, FeatureTable, row_cosine
from arenapref.features.response import (
    MARKDOWN_COLUMNS,
    SIZE_COLUMNS,
    Columns,
    arrow_texts,
    markdown_arrays,
    response_arrays,
)
from arenapref.features.text import side_text, side_texts
from arenapref.features.tfidf import HashedTfidf, Projection
from arenapref.features.words import prompt_overlaps, unique_word_ratio

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
class _Sides:
    """Per-text columns of one chunk, computed once over all its texts stacked as [prompts; A; B]."""

    n: int
    columns: Columns

    def part(self, k: int) -> Columns:
        """Columns of the k-th block: 0 prompts, 1 responses A, 2 responses B."""
        return {name: v[k * self.n : (k + 1) * self.n] for name, v in self.columns.items()}


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
        n = len(battles)
        stacked = [t for c in ("prompt", "response_a", "response_b") for t in side_texts(battles, c)]
        texts = arrow_texts(stacked)
        responses = texts.slice(n)
        markdown = markdown_arrays(texts)
        stats = _Sides(n, {**markdown, **cue_arrays(texts)})
        turns = battles["response_a"].tolist() + battles["response_b"].tolist()
        response = _Sides(n, response_arrays(responses, turns, {k: v[n:] for k, v in markdown.items()}))
        words = self.word.counts(texts)
        word_tfidf = self.word.transform(words)
        char_tfidf = self.char.transform(self.char.counts(responses))
        word_blocks = [_rows(m, n) for m in (words, word_tfidf)]
        char_a, char_b = char_tfidf[:n], char_tfidf[n:]

        table = FeatureTable()
        self._response_features(table, response.part(0), response.part(1), stats)
        self._word_features(table, word_blocks[0], word_blocks[1])
        self._pair_features(table, responses, stats, (word_blocks[1][1], word_blocks[1][2]), (char_a, char_b))
        for kind, projection, (a, b) in (
            ("word", self.word_projection, (word_blocks[1][1], word_blocks[1][2])),
            ("char", self.char_projection, (char_a, char_b)),
        ):
            components = projection.transform((a - b).tocsr())
            for i in range(components.shape[1]):
                table.antisymmetric(f"{kind}_tfidf_diff_{i}", components[:, i])
        matrix = table.matrix(n)
        if self.names and matrix.names != self.names:
            raise RuntimeError("feature names differ from those fitted")
        return matrix

    @staticmethod
    def _response_features(table: FeatureTable, a: Columns, b: Columns, stats: _Sides) -> None:
        for name in SIZE_COLUMNS:
            table.compare(name, a[name], b[name], ("log", "norm"))
        for name in MARKDOWN_COLUMNS:
            table.compare(name, a[name], b[name], ("diff", "norm"))
        table.compare("null_turns", a["null_turns"], b["null_turns"], ("diff",))
        table.sides("empty", a["empty"], b["empty"])
        for name in ("mean_word_chars", "mean_line_words", "ends_open"):
            table.compare(name, a[name], b[name], ("diff",))
        cue_a, cue_b = stats.part(1), stats.part(2)
        for name in _PHRASE_CUES:
            table.compare(name, cue_a[name], cue_b[name], ("diff",))
        for name in (n for n in CUE_PATTERNS if n not in _PHRASE_CUES):
            table.compare(name, cue_a[name], cue_b[name], ("diff", "norm"))
        for name in _SHARES:
            table.compare(name, cue_a[name], cue_b[name], ("diff",))

    @staticmethod
    def _word_features(table: FeatureTable, counts: list[sp.csr_matrix], tfidf: list[sp.csr_matrix]) -> None:
        prompt, a, b = counts
        table.compare("unique_word_ratio", unique_word_ratio(a), unique_word_ratio(b), ("diff",))
        overlap = prompt_overlaps(prompt, a, b)
        table.compare("prompt_echo", overlap["echo_a"], overlap["echo_b"], ("diff",))
        table.compare("from_prompt", overlap["from_prompt_a"], overlap["from_prompt_b"], ("diff",))
        cos_a, cos_b = row_cosine(tfidf[0], tfidf[1]), row_cosine(tfidf[0], tfidf[2])
        table.compare("prompt_cosine", cos_a, cos_b, ("diff",))
        table.symmetric("ab_jaccard", overlap["ab_jaccard"])

    @staticmethod
    def _pair_features(
        table: FeatureTable,
        responses: pa.Array,
        stats: _Sides,
        word: tuple[sp.csr_matrix, sp.csr_matrix],
        char: tuple[sp.csr_matrix, sp.csr_matrix],
    ) -> None:
        table.symmetric("ab_cosine_word", row_cosine(*word))
        table.symmetric("ab_cosine_char", row_cosine(*char))
        n = stats.n
        trimmed = pc.utf8_trim_whitespace(responses)
        same = pc.equal(trimmed.slice(0, n), trimmed.slice(n))
        table.symmetric("identical", np.asarray(same.to_numpy(zero_copy_only=False), dtype=float))
        prompt, a, b = stats.part(0), stats.part(1), stats.part(2)
        prompt_size = np.log1p(prompt["chars"].astype(float))
        table.sides("chars_vs_prompt", np.log1p(a["chars"]) - prompt_size, np.log1p(b["chars"]) - prompt_size)
        for name in ("chars", "words", "lines", "code_block", "list", "inline_code"):
            table.symmetric(f"prompt_{name}", prompt[name].astype(float))
        table.symmetric("prompt_non_latin_share", prompt["non_latin_share"])
        table.symmetric("prompt_question", prompt["question"].astype(float))

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


def _rows(matrix: sp.csr_matrix, n: int) -> list[sp.csr_matrix]:
    """The three row blocks (prompts, A, B) of a stacked matrix."""
    return [matrix[k * n : (k + 1) * n] for k in range(3)]
