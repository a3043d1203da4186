"""Reasons in consistent units (issue 24 item 14): a sentence's ratio is the ratio of the counts unless it says it
is of the counts plus one (the log forms and the length against the prompt), so "hello" against "yo" never reads
both "150 % longer" and "about 100 % longer"."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from arenapref.data.io import read_battles
from arenapref.data.schema import conform
from arenapref.features.builder import FeatureBuilder
from arenapref.features.labels import sentence
from arenapref.features.phrases import QUANTITIES
from arenapref.models import registry
from conftest import DATA_DIR

SIZES = [name for name, q in QUANTITIES.items() if q.kind == "size"]
RATIO = re.compile(r"(?:is|has) (?:about )?(\d+) (%|times)")


def _battle(a: str, b: str, prompt: str = "hi") -> pd.DataFrame:
    return conform(
        pd.DataFrame({"id": ["1"], "source": ["t"], "prompt": [[prompt]], "response_a": [[a]], "response_b": [[b]]})
    )


@pytest.fixture(scope="module")
def builder() -> FeatureBuilder:
    battles, _ = read_battles(DATA_DIR / "kaggle-sample" / "train.csv")
    builder = FeatureBuilder(registry.create("fast").features)  # type: ignore[attr-defined]
    builder.fit_transform(battles)
    return builder


def _sentences(builder: FeatureBuilder, battles: pd.DataFrame) -> list[dict[str, tuple[float, str | None]]]:
    matrix = builder.transform(battles)
    return [
        {name: (float(v), sentence(name, float(v))) for name, v in zip(matrix.names, row, strict=True)}
        for row in matrix.values
    ]


def test_hello_against_yo_says_one_ratio_of_the_counts(builder: FeatureBuilder) -> None:
    (said,) = _sentences(builder, _battle("hello", "yo"))
    assert said["chars_norm_diff"][1] == "A is 150 % longer than B"  # 5 characters against 2
    assert said["chars_log_diff"][1] == "A is 100 % longer than B (character counts plus one)"  # 6 against 3
    assert said["chars_log_diff_abs"][1] == "one is 100 % longer than the other (character counts plus one)"
    unqualified = {s for _, s in said.values() if s and "longer than B" in s and "plus one" not in s}
    assert unqualified == {"A is 150 % longer than B"}


def _implied(text: str) -> float | None:
    """The ratio a sentence states (1.5 for '50 % longer', 12 for '12 times as'), None when it states none."""
    found = RATIO.search(text)
    if found is None:
        return None
    number = float(found.group(1))
    return number if found.group(2) == "times" else 1 + number / 100


def test_every_size_ratio_sentence_states_what_its_feature_measures(builder: FeatureBuilder) -> None:
    """On the Kaggle sample, swapped too: an unqualified ratio is the counts' (a / b), a qualified one the counts
    plus one's ((a + 1) / (b + 1)), each to the precision the sentence prints."""
    battles, _ = read_battles(DATA_DIR / "kaggle-sample" / "train.csv")
    checked = 0
    for said in _sentences(builder, battles):
        for name in SIZES:
            a, b = said[f"a_{name}"][0], said[f"b_{name}"][0]
            big, small = max(a, b), min(a, b)
            for form, plus_one in (("_norm_diff", False), ("_log_diff", True), ("_log_diff_abs", True)):
                text = said.get(f"{name}{form}", (0.0, None))[1]
                stated = _implied(text) if text else None
                if stated is None or small == 0:
                    continue
                assert ("plus one" in text) == plus_one, text
                truth = (big + 1) / (small + 1) if plus_one else big / small
                tolerance = 0.5 if stated >= 10 else 0.005
                assert math.isclose(stated, truth, abs_tol=tolerance), (name, form, a, b, text)
                checked += 1
    assert checked > 300


def test_length_against_the_prompt_says_it_is_of_the_counts_plus_one(builder: FeatureBuilder) -> None:
    (said,) = _sentences(builder, _battle("hello there", "yo", prompt="hi"))
    assert said["a_chars_vs_prompt"][1] == "A is 300 % longer than the prompt (character counts plus one)"  # 12 / 3
    assert said["b_chars_vs_prompt"][1] == "B is as long as the prompt"
