"""arenapref.load(MODEL_DIR): compare (both orders), rank (Bradley-Terry over every pair, Copeland), reward against
a reference or the baseline; strings and message lists, multi-turn included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import arenapref
from arenapref.data.swap import swap_proba
from arenapref.features.text import side_text
from arenapref.reward.inputs import InputError, conversation
from arenapref.reward.limits import DEFAULT_BASELINE
from arenapref.reward.model import RewardModel
from arenapref.reward.rank import CandidateLimitError
from serve_support import LengthModel, small_fast_model_dir


class PositionModel(LengthModel):
    """Longer wins, plus a bias toward whatever sits in A: not position-symmetric, so compare must average."""

    name = "test-position"

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        self.seen = battles.copy()
        z = self.slope * self.length_difference(battles) + 1.0
        logits = np.column_stack([z, -z, np.zeros_like(z)])
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True))


class RecordingModel(LengthModel):
    name = "test-recording"
    position_symmetric = True

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        self.tables = [*getattr(self, "tables", []), battles.copy()]
        return super().predict_proba(battles)


@pytest.fixture(scope="module")
def fast() -> RewardModel:
    return arenapref.load(small_fast_model_dir())


def test_import_arenapref_stays_light() -> None:
    code = "import sys, arenapref; print(sorted(m for m in ('numpy', 'pandas', 'lightgbm') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_compare_averages_both_orders_of_a_position_biased_model() -> None:
    model = RewardModel(PositionModel())
    forward = model.compare(["Q"], ["short"], ["a much longer answer"])
    backward = model.compare(["Q"], ["a much longer answer"], ["short"])
    np.testing.assert_allclose(forward, swap_proba(backward), atol=1e-12)
    same = model.compare(["Q"], ["same"], ["same"])[0]
    assert same[0] == pytest.approx(same[1])  # the A bias cancels


def test_compare_of_the_fast_model_is_its_prediction(fast: RewardModel) -> None:
    proba = fast.compare(["What is 2+2?", "Name a colour."], ["4", "Blue."], ["2+2 equals 4.", "Red, or green."])
    assert proba.shape == (2, 3) and np.allclose(proba.sum(axis=1), 1)
    flipped = fast.compare(["What is 2+2?"], ["2+2 equals 4."], ["4"])
    np.testing.assert_allclose(flipped[0], swap_proba(proba[:1])[0], atol=1e-9)
    assert fast.compare([], [], []).shape == (0, 3)


def test_message_lists_multi_turn_become_turns() -> None:
    prompt = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": [{"type": "text", "text": "How "}, {"type": "text", "text": "are you?"}]},
    ]
    turns, answer = conversation(prompt, [{"role": "assistant", "content": "Fine."}])
    assert turns == ["Hi", "How are you?"] and answer == ["Hello!", "Fine."]
    assert conversation("Plain", "Answer") == (["Plain"], ["Answer"])
    recorder = RecordingModel()
    RewardModel(recorder).compare([prompt], ["Fine."], [[{"role": "assistant", "content": "Good, thanks."}]])
    row = recorder.tables[-1].iloc[0]
    assert list(row.prompt) == ["Hi", "How are you?"] and list(row.response_b) == ["Hello!", "Good, thanks."]
    with pytest.raises(InputError, match=r"prompts\[0\]\[0\]\.role: unknown role 'robot'"):
        RewardModel(recorder).compare([[{"role": "robot", "content": "x"}]], ["a"], ["b"])
    with pytest.raises(InputError, match="differ in length"):
        RewardModel(recorder).compare(["a", "b"], ["x"], ["y"])


def _rank(model: RewardModel, candidates: list[Any]) -> Any:
    return model.rank("Explain why the sky is blue.", candidates)


CANDIDATES = [
    "Rayleigh scattering.",
    "Because sunlight scatters off air molecules, and blue light, with its shorter wavelength, scatters most.",
    "It is blue.",
    "Blue light is scattered more than red light by the molecules of the atmosphere (Rayleigh scattering), so the "
    "sky looks blue from every direction.",
    "idk",
    "The sky reflects the ocean.",
]


def test_rank_shuffling_the_candidates_permutes_the_scores(fast: RewardModel) -> None:
    base = _rank(fast, CANDIDATES)
    assert sorted(base.ranks) == [1, 2, 3, 4, 5, 6] and base.best == int(np.argmax(base.scores))
    assert abs(base.scores.mean()) < 1e-9  # strengths are centred
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(CANDIDATES))
        shuffled = _rank(fast, [CANDIDATES[k] for k in order])
        np.testing.assert_array_equal(shuffled.scores, base.scores[order])
        np.testing.assert_array_equal(shuffled.ranks, base.ranks[order])
        np.testing.assert_array_equal(shuffled.copeland, base.copeland[order])
        assert order[shuffled.best] == base.best


def test_rank_duplicates_get_equal_scores_and_share_a_rank(fast: RewardModel) -> None:
    ranked = _rank(fast, [CANDIDATES[1], CANDIDATES[0], CANDIDATES[1], CANDIDATES[4], CANDIDATES[0]])
    assert ranked.scores[0] == ranked.scores[2] and ranked.scores[1] == ranked.scores[4]
    assert ranked.ranks[0] == ranked.ranks[2] and ranked.ranks[1] == ranked.ranks[4]
    assert ranked.copeland.max() <= 2  # three distinct candidates: at most two wins each
    message_form = [{"role": "assistant", "content": CANDIDATES[1]}]
    mixed = _rank(fast, [CANDIDATES[1], message_form])
    assert mixed.scores[0] == mixed.scores[1] == 0


def test_rank_of_one_and_of_none(fast: RewardModel) -> None:
    one = _rank(fast, ["Only answer."])
    assert one.to_dict() == {"scores": [0.0], "ranks": [1], "copeland": [0.0], "best": 0}
    none = _rank(fast, [])
    assert none.to_dict() == {"scores": [], "ranks": [], "copeland": [], "best": None} and len(none) == 0


def test_rank_over_the_limit_is_refused_with_a_reason(fast: RewardModel) -> None:
    small = RewardModel(fast.model, max_candidates=3)
    with pytest.raises(CandidateLimitError, match=r"^candidates: 4 candidates; the limit is 3 per prompt$"):
        small.rank("Q", ["a", "b", "c", "d"])
    assert len(small.rank("Q", ["a", "b", "c"])) == 3
    with pytest.raises(CandidateLimitError, match=r"^row 1: candidates: 4 candidates"):
        small.rank_many(["Q", "R"], [["a"], ["a", "b", "c", "d"]])


def test_rank_scores_are_the_bradley_terry_fit_of_the_pairwise_probabilities(fast: RewardModel) -> None:
    """The fit's moment condition: each candidate's expected wins under the scores, sum_j sigmoid(s_i - s_j), match
    its observed expected wins, sum_j P(i beats j) + P(tie) / 2 (up to the small ridge penalty)."""
    ranked = _rank(fast, CANDIDATES)
    n = len(CANDIDATES)
    observed = np.zeros(n)
    for i in range(n):
        for j in range(n):
            if i != j:
                p = fast.compare(["Explain why the sky is blue."], [CANDIDATES[i]], [CANDIDATES[j]])[0]
                observed[i] += p[0] + p[2] / 2
    implied = (1 / (1 + np.exp(-(ranked.scores[:, None] - ranked.scores[None, :])))).sum(axis=1) - 0.5
    np.testing.assert_allclose(implied, observed, atol=0.02)
    assert ranked.copeland.sum() == n * (n - 1) / 2


def test_rank_many_scores_every_prompt_as_alone(fast: RewardModel) -> None:
    prompts = ["Explain why the sky is blue.", "Say hi."]
    many = fast.rank_many(prompts, [CANDIDATES, ["Hi!", "Hello there, nice to meet you."]])
    np.testing.assert_array_equal(many[0].scores, _rank(fast, CANDIDATES).scores)
    assert many[1].best == fast.rank("Say hi.", ["Hi!", "Hello there, nice to meet you."]).best


def test_reward_against_reference_and_baseline() -> None:
    recorder = RecordingModel()
    model = RewardModel(recorder, baseline="base line")
    out = model.reward_details(["Q1", "Q2", "Q3"], ["answer one", "answer two", "x"], ["ref", None, "  "])
    assert list(out.referenced) == [True, False, False]
    table = recorder.tables[-1]
    assert [list(t) for t in table.response_b] == [["ref"], ["base line"], ["base line"]]
    np.testing.assert_allclose(out.rewards, out.p_win + out.p_tie / 2)
    assert np.all((out.rewards >= 0) & (out.rewards <= 1))
    same = model.reward(["Q"], ["identical"], ["identical"])
    assert same[0] == pytest.approx(0.5)
    assert RewardModel(LengthModel()).baseline == DEFAULT_BASELINE
    longer = RewardModel(LengthModel()).reward(["Q"] * 2, ["a long and detailed answer", "no"], ["medium one"] * 2)
    assert longer[0] > 0.5 > longer[1]


def test_reward_of_the_fast_model_in_both_data_formats(fast: RewardModel) -> None:
    text = fast.reward(["Name a colour."], ["Blue."])
    chat = fast.reward([[{"role": "user", "content": "Name a colour."}]], [[{"role": "assistant", "content": "Blue."}]])
    assert text[0] == chat[0] and 0 < text[0] < 1


def test_a_model_returning_unusable_probabilities_is_refused() -> None:
    class Broken(LengthModel):
        position_symmetric = True

        def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
            return np.full((len(battles), 3), np.nan)

    with pytest.raises(ValueError, match="unusable probabilities"):
        RewardModel(Broken()).compare(["Q"], ["a"], ["b"])


def test_load_names_a_bad_directory(tmp_path: Path) -> None:
    from arenapref.models.errors import ModelDirError

    with pytest.raises(ModelDirError, match="not a model directory"):
        arenapref.load(tmp_path)


def test_the_pair_table_is_a_battle_table() -> None:
    from arenapref.reward.compare import pair_table
    from arenapref.reward.inputs import Pair

    table = pair_table([Pair(["Hi", "More"], ["a1", "a2"], ["b1", None])])
    assert side_text(table, "response_b").iloc[0].startswith("b1") and table["label"].isna().all()
