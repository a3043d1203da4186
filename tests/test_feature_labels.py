"""Readable reasons: every feature the fast model emits has an explicit label, values read as sentences in units,
sentences mirror under swapping A and B, and grouped features (TF-IDF) are summed into one reason."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from arenapref.data.io import read_battles
from arenapref.features import labels
from arenapref.features.builder import FeatureBuilder
from arenapref.features.labels import TFIDF_GROUP, label_of, register_pattern, sentence
from arenapref.features.pair import FeatureMatrix
from arenapref.models import registry
from arenapref.models.base import Reason
from arenapref.models.explanation import readable, top_reasons
from conftest import DATA_DIR


def _unlabelled(names: list[str]) -> list[str]:
    return [name for name in names if not label_of(name).explicit]


@pytest.fixture(scope="module", params=["fast", "fast-multiclass"])
def matrix(request: pytest.FixtureRequest) -> FeatureMatrix:
    """The features a registered fast model builds, with its own feature settings, on the Kaggle sample."""
    battles, _ = read_battles(DATA_DIR / "kaggle-sample" / "train.csv")
    config = registry.create(request.param).features  # type: ignore[attr-defined]
    return FeatureBuilder(config).fit_transform(battles)


def test_every_feature_the_fast_model_emits_has_an_explicit_label(matrix: FeatureMatrix) -> None:
    assert len(matrix.names) > 150
    assert _unlabelled(matrix.names) == []
    tfidf = [n for n in matrix.names if label_of(n).group == TFIDF_GROUP]
    assert len(tfidf) == 32 and {label_of(n).label for n in tfidf} == {"wording (TF-IDF)"}


def test_a_new_feature_without_a_label_fails_the_check(matrix: FeatureMatrix) -> None:
    """What the test above would say if the builder grew columns nobody labelled."""
    new = ["a_sarcasm", "b_sarcasm", "sarcasm_diff", "sarcasm_norm_diff", "emb_0", "ab_rhyme"]
    assert _unlabelled([*matrix.names, *new]) == new
    fallback = label_of("sarcasm_diff")
    assert fallback.label == "sarcasm diff (unlabelled feature)" and sentence("sarcasm_diff", 1.0) is None


def test_every_labelled_value_reads_as_a_sentence(matrix: FeatureMatrix) -> None:
    for j, name in enumerate(matrix.names):
        for v in np.unique(matrix.values[:, j]):
            said = sentence(name, float(v))
            if label_of(name).group is None:
                assert said and "{" not in said and "nan" not in said, (name, v, said)
            else:
                assert said is None


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("chars_norm_diff", (158 - 100) / (158 + 100), "A is 58 % longer than B"),
        ("chars_norm_diff", -1.0, "A has no characters"),
        ("chars_log_diff", math.log(3), "A is 200 % longer than B (character counts plus one)"),
        ("words_log_diff", -math.log(12), "B has 12 times as many words as A (word counts plus one)"),
        ("chars_log_diff_abs", 0.0, "A and B are the same length"),
        ("list_numbered_diff", 8.0, "A has 8 more numbered list items than B"),
        ("header_norm_diff", -0.6, "B has 80 % of the headers of both"),
        ("link_norm_diff", 1.0, "only A has links"),
        ("a_code_block", 1.0, "A has 1 code block"),
        ("b_refusal", 2.0, "B refuses (2 refusal phrases)"),
        ("a_refusal", 0.0, "A does not refuse"),
        ("refusal_diff", -1.0, "B refuses more than A (1 more refusal phrase)"),
        ("prompt_echo_diff", 0.3, "A repeats the prompt more than B (30 percentage points)"),
        ("a_prompt_echo", 0.75, "A repeats 75 % of the prompt's words"),
        ("ends_open_diff", -1.0, "B looks cut off (ends without closing punctuation); A ends with closing punctuation"),
        ("b_empty", 1.0, "B is empty"),
        ("mean_word_chars_diff", -0.8, "B's words are 0.8 characters longer on average than A's"),
        ("a_chars_vs_prompt", math.log(12), "A is 12 times as long as the prompt (character counts plus one)"),
        ("identical", 1.0, "A and B are the same text"),
        ("prompt_lines", 1.0, "the prompt has 1 line"),
        ("ab_jaccard", 0.35, "A and B share 35 % of their distinct words"),
        ("word_tfidf_diff_3", 0.2, None),
        ("chars_norm_diff", math.nan, None),
    ],
)
def test_sentences_say_the_value_in_units(name: str, value: float, expected: str | None) -> None:
    assert sentence(name, value) == expected


def _swap_sides(text: str) -> str:
    return re.sub(r"\b[AB]\b", lambda m: "B" if m.group() == "A" else "A", text)


def test_sentences_mirror_when_a_and_b_swap(matrix: FeatureMatrix) -> None:
    """The swapped battle's feature row reads as the same sentence with A and B exchanged (pair.py's mirror)."""
    swapped = matrix.swapped()
    for j, name in enumerate(matrix.names):
        if label_of(name).group is not None:
            continue
        for i in range(len(matrix.values)):
            said = sentence(name, float(matrix.values[i, j]))
            mirrored = sentence(matrix.names[matrix.mirror[j]], float(swapped[i, matrix.mirror[j]]))
            assert said is not None and mirrored is not None
            if "A and B" not in said:  # "A and B have as many ..." names both sides in a fixed order
                assert mirrored == _swap_sides(said), (name, said, mirrored)


def test_other_feature_families_register_their_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(labels, "_PATTERNS", list(labels._PATTERNS))
    monkeypatch.setattr(labels, "_GROUPS", dict(labels._GROUPS))
    assert not label_of("emb_sim_diff").explicit
    register_pattern(r"emb_sim_diff", "meaning closer to the prompt", sentence=lambda m, v: f"cosine {v:+.2f}")
    register_pattern(r"emb_(\d+)", "meaning (embeddings)", group="emb_*")
    assert label_of("emb_sim_diff").explicit and sentence("emb_sim_diff", 0.25) == "cosine +0.25"
    member = label_of("emb_17")
    assert member.explicit and member.group == "emb_*" and member.label == "meaning (embeddings)"
    assert label_of("emb_*").label == "meaning (embeddings)" and sentence("emb_17", 0.5) is None
    labels.label_of.cache_clear()


def test_grouped_features_count_as_one_reason_with_the_summed_contribution() -> None:
    names = ["a_chars", "word_tfidf_diff_0", "refusal_diff", "char_tfidf_diff_1", "word_tfidf_diff_1"]
    values = np.array([[812.0, 0.1, -1.0, 0.2, 0.3], [40.0, 0.0, 0.0, 0.0, 0.0]])
    contributions = np.array([[0.30, 0.25, -0.40, 0.10, 0.20], [0.025, -0.02, 0.03, -0.015, -0.015]])
    first, second = top_reasons(names, values, contributions, ["A", "B"], top=2)
    assert [r.feature for r in first] == [TFIDF_GROUP, "refusal_diff"]
    assert first[0].contribution == pytest.approx(0.55) and math.isnan(first[0].value)
    assert first[1] == Reason("refusal_diff", -1.0, -0.40, "A")
    everything = top_reasons(names, values, contributions, ["A", "B"], top=10)
    assert [len(r) for r in everything] == [3, 3]
    assert sum(r.contribution for r in everything[0]) == pytest.approx(contributions[0].sum())
    # no single component outranks a_chars, their sum outranks everything
    assert [r.feature for r in second] == [TFIDF_GROUP, "refusal_diff"]
    group = readable(first[0])
    assert (group.label, group.sentence) == ("wording (TF-IDF)", None)
    refusal = readable(first[1])
    assert (refusal.label, refusal.sentence) == ("refusal, difference", "B refuses more than A (1 more refusal phrase)")


def test_every_embedding_pair_feature_has_an_explicit_label() -> None:
    from arenapref.features.embed_pairs import EmbeddingPairs, Sides

    rng = np.random.default_rng(0)
    unit = [(x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32) for x in rng.normal(size=(3, 40, 24))]
    sides = Sides(*unit)
    pairs = EmbeddingPairs(diff_components=4, product_components=2, prompt_components=2).fit(sides)
    names = pairs.names()
    assert len(names) > 10
    assert [n for n in names if not label_of(n).explicit] == []
    assert sentence("a_emb_cos_prompt", 0.62) == "A's meaning is close to the prompt's (cosine 0.62)"
    assert sentence("emb_cos_prompt_diff", -0.08) == "B is closer to the prompt in meaning than A (cosine +0.08)"
