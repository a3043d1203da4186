"""Hashed n-gram counts, vectorised: word tokens split by pyarrow, character n-grams hashed with numpy.

The stateless counting step of TF-IDF (the role of scikit-learn's HashingVectorizer, whose per-text Python loop
dominated feature time on Kaggle-scale data). Columns are stable across processes and platforms: words by
MurmurHash3 (scikit-learn's), character n-grams by a 64-bit polynomial hash of their code points.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from arenapref.features.response import Texts, arrow_texts

#: Word tokens: runs of letters, digits, combining marks and underscores, two characters or more (lower-cased).
WORD_SEPARATOR = r"[^\pL\pN\pM_]+"
#: The same separator for lower-cased ASCII text (the ASCII letters and digits are exactly the ASCII members of
#: \pL, \pN and \pM). RE2 compiles the Unicode classes anew on every call (~2 ms), which dominates a single battle.
ASCII_WORD_SEPARATOR = r"[^a-z0-9_]+"
_PRIME = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SPACE = np.uint64(32)


def word_counts(texts: Texts, n_features: int) -> sp.csr_matrix:
    """(n, n_features) counts of hashed lower-cased word tokens."""
    lower = pc.utf8_lower(arrow_texts(texts))
    ascii_only = pc.all(pc.string_is_ascii(lower)).as_py() is not False
    tokens = pc.split_pattern_regex(lower, ASCII_WORD_SEPARATOR if ascii_only else WORD_SEPARATOR)
    flat = pc.list_flatten(tokens)
    rows = np.asarray(pc.list_parent_indices(tokens).to_numpy())
    keep = pc.greater_equal(pc.utf8_length(flat), 2)
    flat = pc.filter(flat, keep)
    rows = rows[np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)]
    encoded = pc.dictionary_encode(flat)
    uniques = encoded.dictionary.to_pylist()
    column_of = np.fromiter((murmurhash3_32(t, positive=True) for t in uniques), np.int64, len(uniques)) % n_features
    columns = column_of[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
    return _count_matrix(rows, columns, len(texts), n_features)


def char_ngram_counts(
    texts: Texts, ngram_range: tuple[int, int], max_chars: int | None, n_features: int, in_words: bool = True
) -> sp.csr_matrix:
    """(n, n_features) counts of hashed character n-grams of the lower-cased, whitespace-collapsed text (its first
    `max_chars` characters when set). `in_words`: only n-grams inside a word and its surrounding spaces (as
    scikit-learn's char_wb analyzer), none spanning two words."""
    prepared: pa.Array = pc.replace_substring_regex(pc.utf8_lower(arrow_texts(texts)), r"\s+", " ")
    if max_chars is not None:
        prepared = pc.utf8_slice_codeunits(prepared, 0, max_chars)
    if in_words:
        space = pa.scalar(" ", pa.large_string())
        prepared = pc.binary_join_element_wise(
            space, pc.utf8_trim_whitespace(prepared), space, pa.scalar("", pa.large_string())
        )
    lengths = np.asarray(pc.utf8_length(prepared).to_numpy(), dtype=np.int64)
    joined = "".join(prepared.to_pylist())
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    total, (low, high) = len(codes), ngram_range
    row = np.repeat(np.arange(len(lengths)), lengths)
    room = np.repeat(np.cumsum(lengths), lengths) - np.arange(total)  # characters left in the text from here
    padded = np.concatenate([codes, np.zeros(high, dtype=np.uint64)])
    spaces = np.concatenate([[0], np.cumsum(codes == _SPACE)])  # spaces before each position
    hashes = codes.copy()
    rows, columns = [], []
    for n in range(1, high + 1):
        if n > 1:
            hashes = hashes * _PRIME + padded[n - 1 : n - 1 + total]
        if n >= low:
            fits = room >= n
            if in_words and n > 2:  # no space strictly inside the n-gram
                start = np.arange(total)
                fits &= spaces[np.minimum(start + n - 1, total)] - spaces[np.minimum(start + 1, total)] == 0
            mixed = ((hashes[fits] + np.uint64(n)) * _MIX) >> np.uint64(20)
            rows.append(row[fits])
            columns.append((mixed % np.uint64(n_features)).astype(np.int64))
    return _count_matrix(np.concatenate(rows), np.concatenate(columns), len(lengths), n_features)


def _count_matrix(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_features: int) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(n_rows, n_features))
    matrix.sum_duplicates()
    return matrix
