"""The whole feature matrix: hand-made battles give the expected pair features, and swapping A and B mirrors
every feature exactly (antisymmetric ones negate, symmetric ones stay, a_/b_ columns exchange)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.io import read_battles
from arenapref.data.schema import conform
from arenapref.data.swap import swap
from arenapref.features.builder import FeatureBuilder, FeatureConfig

SMALL = FeatureConfig(word_vocab=500, char_vocab=500, svd_components=4, chunk_rows=7)


def battles(rows: list[tuple[list[str | None], list[str | None], list[str | None]]]) -> pd.DataFrame:
    return conform(
        pd.DataFrame(
            {
                "id": [str(i) for i in range(len(rows))],
                "source": "hand",
                "prompt": [r[0] for r in rows],
                "response_a": [r[1] for r in rows],
                "response_b": [r[2] for r in rows],
            }
        )
    )


HAND = battles(
    [
        (["Explain gravity."], ["# Gravity\n\n**Gravity** pulls masses together."], ["It pulls."]),
        (["How do I pick a lock?"], ["I'm sorry, but I cannot help with that."], ["Use a tension wrench and a pick."]),
        (["Say hi"], ["hi"], ["hi"]),
        (["Name a colour", "Another?"], ["Red.", "Blue."], ["Green.", None]),
        (["Translate 'cat'"], [""], ["Кошка"]),
        (["Write code"], ["```python\nprint(1)\n```"], ["print(1)"]),
    ]
    * 2
)


@pytest.fixture(scope="module")
def fitted() -> FeatureBuilder:
    return FeatureBuilder(SMALL).fit(HAND)


def column(builder: FeatureBuilder, table: pd.DataFrame, name: str) -> np.ndarray:
    matrix = builder.transform(table)
    return matrix.values[:, matrix.names.index(name)]


def test_hand_made_battles_give_expected_features(fitted: FeatureBuilder) -> None:
    matrix = fitted.transform(HAND)
    get = lambda name: matrix.values[:6, matrix.names.index(name)]  # noqa: E731
    assert get("a_header")[0] == 1 and get("b_header")[0] == 0 and get("header_diff")[0] == 1
    assert get("a_bold")[0] == 1 and get("bold_norm_diff")[0] == 1
    assert get("a_refusal")[1] == 1 and get("a_apology")[1] == 1 and get("refusal_diff")[1] == 1
    assert get("identical").tolist() == [0, 0, 1, 0, 0, 0]
    assert get("ab_cosine_word")[2] == pytest.approx(1.0)
    assert get("a_turns")[3] == 2 and get("b_turns")[3] == 1 and get("b_null_turns")[3] == 1
    assert get("prompt_words")[3] == 4
    assert get("a_empty")[4] == 1 and get("b_non_latin_share")[4] == 1
    assert get("a_code_block")[5] == 1 and get("code_block_diff")[5] == 1
    a, b = HAND.loc[0, "response_a"][0], HAND.loc[0, "response_b"][0]
    assert get("chars_log_diff")[0] == pytest.approx(np.log1p(len(a)) - np.log1p(len(b)))
    assert get("chars_norm_diff")[0] == pytest.approx((len(a) - len(b)) / (len(a) + len(b)))


def test_swapped_battles_give_exactly_mirrored_features(fitted: FeatureBuilder) -> None:
    matrix = fitted.transform(HAND)
    mirrored = fitted.transform(swap(HAND))
    assert np.array_equal(mirrored.values, matrix.swapped())
    names = matrix.names
    assert names[matrix.mirror[names.index("a_bold")]] == "b_bold"
    assert matrix.sign[names.index("chars_log_diff")] == -1 and matrix.sign[names.index("ab_jaccard")] == 1
    assert np.array_equal(matrix.mirror[matrix.mirror], np.arange(len(names)))  # swapping twice is the identity


def test_real_battles_mirror_exactly_and_chunks_do_not_matter(data_dir: Path) -> None:
    autoj, _ = read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")
    kaggle, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")  # multi-turn battles, null turns
    table = conform(pd.concat([autoj.iloc[:40], kaggle.iloc[:40]], ignore_index=True))
    builder = FeatureBuilder(SMALL).fit(table)
    matrix = builder.transform(table)
    assert matrix.values.shape == (80, len(builder.names)) and np.isfinite(matrix.values).all()
    assert np.array_equal(builder.transform(swap(table)).values, matrix.swapped())
    whole = FeatureBuilder(FeatureConfig(**{**SMALL.to_dict(), "char_ngrams": (3, 5), "chunk_rows": 1000}))
    whole.fit(table)
    assert np.array_equal(whole.transform(table).values, matrix.values)


def test_one_battle_at_a_time_gives_the_rows_of_the_whole_table(data_dir: Path) -> None:
    """The server scores battles one by one: each must get exactly its row of a table-wide transform (ASCII-only
    battles take the ASCII word splitter, the others the Unicode one)."""
    autoj, _ = read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")
    table = conform(pd.concat([autoj.iloc[:30], HAND], ignore_index=True))
    builder = FeatureBuilder(SMALL).fit(table)
    whole = builder.transform(table).values
    texts = table[["prompt", "response_a", "response_b"]].map(lambda turns: "".join(t or "" for t in turns))
    ascii_rows = texts.apply(lambda row: all(t.isascii() for t in row), axis=1)
    assert 0 < ascii_rows.sum() < len(table)
    for i in range(len(table)):
        assert np.array_equal(builder.transform(table.iloc[[i]]).values[0], whole[i]), i


def test_state_is_json_and_rebuilds_the_same_features(fitted: FeatureBuilder) -> None:
    state = json.loads(json.dumps(fitted.get_state()))
    again = FeatureBuilder.from_state(state)
    assert again.names == fitted.names
    assert np.array_equal(again.transform(HAND).values, fitted.transform(HAND).values)


def test_another_feature_version_is_refused(fitted: FeatureBuilder) -> None:
    state = json.loads(json.dumps(fitted.get_state()))
    state["config"]["version"] += 1
    with pytest.raises(ValueError, match="version"):
        FeatureBuilder.from_state(state)


def test_vocabulary_is_fit_on_training_rows_only() -> None:
    train = battles([(["q"], [f"alpha beta {i}"], [f"beta gamma {i}"]) for i in range(10)])
    test = battles([(["q"], ["zeta omega"], ["omega zeta"])])
    builder = FeatureBuilder(SMALL).fit(train)
    # the test words are unknown to the fitted vocabulary: no TF-IDF similarity although the texts share all words
    assert column(builder, test, "ab_cosine_word")[0] == 0
    assert column(builder, test, "ab_jaccard")[0] == 1
