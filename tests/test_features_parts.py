"""Per-response features on hand-made texts: markdown, content cues, character shares, words, TF-IDF."""

from __future__ import annotations

import numpy as np
import pandas as pd

from arenapref.features.cues import character_shares, content_cues, repeated_line_share
from arenapref.features.hashing import char_ngram_counts, word_counts
from arenapref.features.response import response_stats, turn_counts
from arenapref.features.tfidf import HashedTfidf, Projection
from arenapref.features.words import containment, jaccard, prompt_overlaps, unique_word_ratio

MARKDOWN = (
    "# Title\n\nSome **bold** words and *italic* ones.\n\n- one\n- two\n1. first\n\n`x = 1` and [a link](http://x.y)"
)
REFUSAL = "I'm sorry, but I cannot help with that. As an AI language model, I don't have personal opinions."


def test_response_stats_count_markdown_sizes_and_turns() -> None:
    texts = pd.Series([MARKDOWN, "", "plain answer."])
    turns = pd.Series([[MARKDOWN], [None], ["plain", "answer."]])
    stats = response_stats(texts, turns)
    first = stats.iloc[0]
    assert (first["header"], first["bold"], first["italic"], first["link"], first["inline_code"]) == (1, 1, 1, 1, 1)
    assert (first["list_bullet"], first["list_numbered"], first["paragraphs"]) == (2, 1, 4)
    assert stats["empty"].tolist() == [0, 1, 0]
    assert stats["null_turns"].tolist() == [0, 1, 0]
    assert stats["turns"].tolist() == [1, 0, 2]
    assert stats["ends_open"].tolist() == [0, 0, 0]
    assert response_stats(pd.Series(["cut off in the mid"]), pd.Series([["x"]]))["ends_open"].item() == 1


def test_turn_counts_handle_none_lists_and_empty_strings() -> None:
    counts = turn_counts(pd.Series([None, [], ["a", None, "  "], ["x", "y"]]))
    assert counts["turns"].tolist() == [0, 0, 1, 2]
    assert counts["null_turns"].tolist() == [0, 0, 1, 0]
    assert counts["empty"].tolist() == [1, 1, 0, 0]


def test_refusal_disclaimer_and_questions_are_caught() -> None:
    cues = content_cues(pd.Series([REFUSAL, "Sure! Here it is. Which version do you use?", "I can help."]))
    assert cues.loc[0, "refusal"] == 1 and cues.loc[0, "apology"] == 1 and cues.loc[0, "ai_disclaimer"] == 2
    assert cues.loc[1, ["refusal", "apology", "ai_disclaimer"]].sum() == 0
    assert cues.loc[1, "question"] == 1 and cues.loc[1, "ends_with_question"] == 1 and cues.loc[1, "exclamation"] == 1
    assert cues.loc[2].drop(["upper_share"]).sum() == 0


def test_curly_apostrophes_and_variants_count_as_refusals() -> None:
    cues = content_cues(pd.Series(["I’m unable to do that.", "I won't.", "i can not", "I can do it"]))
    assert cues["refusal"].tolist() == [1, 1, 1, 0]


def test_character_shares_and_repeated_lines() -> None:
    shares = character_shares(pd.Series(["abc 123", "Привет мир", "東京 and", "", "😀😀"]))
    np.testing.assert_allclose(shares["digit_share"], [3 / 7, 0, 0, 0, 0])
    np.testing.assert_allclose(shares["non_latin_share"], [0, 1, 2 / 5, 0, 0])
    assert shares["emoji"].tolist() == [0, 0, 0, 0, 2]
    np.testing.assert_allclose(repeated_line_share(pd.Series(["a\nb\na\na", "", "x\n\ny"])), [0.5, 0, 0])


def test_word_overlaps_and_unique_ratio() -> None:
    tfidf = HashedTfidf(min_df=1)
    counts = tfidf.counts(pd.Series(["the cat sat on the mat", "the dog sat", "", "cat cat cat"]))
    np.testing.assert_allclose(unique_word_ratio(counts), [5 / 6, 1, 0, 1 / 3])
    np.testing.assert_allclose(jaccard(counts[[0]], counts[[1]]), [2 / 6])
    np.testing.assert_allclose(jaccard(counts[[1]], counts[[0]]), jaccard(counts[[0]], counts[[1]]))
    np.testing.assert_allclose(containment(counts[[1]], counts[[0]]), [2 / 3])
    np.testing.assert_allclose(containment(counts[[2]], counts[[0]]), [0])


def test_tfidf_vocabulary_comes_from_fit_texts_only() -> None:
    tfidf = HashedTfidf(vocab_size=100, min_df=1)
    tfidf.fit(tfidf.counts(pd.Series(["alpha beta", "beta gamma"])))
    rows = tfidf.transform(tfidf.counts(pd.Series(["alpha beta", "zeta omega", ""])))
    assert tfidf.size == 3
    np.testing.assert_allclose(np.asarray(rows.multiply(rows).sum(axis=1)).ravel(), [1, 0, 0])
    again = HashedTfidf.from_state(tfidf.get_state())
    assert (
        again.transform(again.counts(pd.Series(["alpha"]))) != tfidf.transform(tfidf.counts(pd.Series(["alpha"])))
    ).nnz == 0


def test_diff_projection_is_linear_and_round_trips() -> None:
    tfidf = HashedTfidf(min_df=1)
    texts = pd.Series([f"word{i % 7} word{i % 3} common" for i in range(40)])
    tfidf.fit(tfidf.counts(texts))
    a, b = tfidf.transform(tfidf.counts(texts)), tfidf.transform(tfidf.counts(texts[::-1].reset_index(drop=True)))
    projection = Projection(4).fit((a - b).tocsr())
    forward, backward = projection.transform((a - b).tocsr()), projection.transform((b - a).tocsr())
    assert forward.shape == (40, 4) and np.array_equal(forward, -backward)
    assert np.array_equal(Projection.from_state(projection.get_state()).transform((a - b).tocsr()), forward)


def test_hashed_counts_match_scikit_learns_analyzers() -> None:
    """The vectorised hashing counts the same n-grams as scikit-learn's char_wb and word analyzers."""
    from sklearn.feature_extraction.text import CountVectorizer

    texts = pd.Series(["Hello World, hello!", "", "Привет  мир 42 a", "abcd", " x  yz ", "東京タワー is tall", None])
    plain = texts.fillna("")
    chars = char_ngram_counts(texts, (3, 5), None, 2**20)
    reference = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(plain)
    np.testing.assert_array_equal(np.asarray(chars.sum(axis=1)).ravel(), np.asarray(reference.sum(axis=1)).ravel())
    np.testing.assert_array_equal(chars.getnnz(axis=1), reference.getnnz(axis=1))
    words = word_counts(texts, 2**20)
    reference = CountVectorizer().fit_transform(plain)
    np.testing.assert_array_equal(np.asarray(words.sum(axis=1)).ravel(), np.asarray(reference.sum(axis=1)).ravel())
    np.testing.assert_array_equal(words.getnnz(axis=1), reference.getnnz(axis=1))
    assert char_ngram_counts(texts, (3, 5), 3, 2**20)[3].sum() == 6  # "abcd" cut to "abc", padded: " abc "


def test_ascii_texts_split_into_the_same_words_as_with_the_unicode_separator() -> None:
    ascii_texts = ["Hello, World! it's 42_x", "tabs\tand\nnew-lines; e.g. (a+b)*c", "~`^|{}[]<>", ""]
    alone = word_counts(pd.Series(ascii_texts), 2**20)  # ASCII only: the ASCII separator
    with_unicode = word_counts(pd.Series([*ascii_texts, "naïve café"]), 2**20)  # the Unicode separator
    assert (alone != with_unicode[: len(ascii_texts)]).nnz == 0
    assert alone.sum() == 8  # hello world it 42_x tabs and new lines: one-letter tokens are not words


def test_prompt_overlaps_match_the_pairwise_measures() -> None:
    counts = HashedTfidf(min_df=1).counts(pd.Series(["the cat sat", "the cat sat on the mat", "a dog", ""]))
    prompt, a, b = counts[[0, 0]], counts[[1, 3]], counts[[2, 1]]
    overlap = prompt_overlaps(prompt, a, b)
    np.testing.assert_array_equal(overlap["echo_a"], containment(prompt, a))
    np.testing.assert_array_equal(overlap["from_prompt_b"], containment(b, prompt))
    np.testing.assert_array_equal(overlap["ab_jaccard"], jaccard(a, b))
    np.testing.assert_allclose(overlap["echo_a"], [1, 0])
    np.testing.assert_allclose(overlap["from_prompt_a"], [3 / 5, 0])
