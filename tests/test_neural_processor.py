"""Input building: the template, every truncation policy on multi-turn battles longer than the window (which
tokens survive), null turns, special tokens, and the symmetry of a battle and its swap."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

from arenapref.models.finetuned.config import InputConfig
from arenapref.models.finetuned.processor import BattleProcessor, trim_longer_first
from neural_support import HEADERS, word_tokenizer, words


@pytest.fixture(scope="module")
def tokenizer():
    return word_tokenizer()


def processor(tokenizer, **settings) -> BattleProcessor:
    return BattleProcessor(tokenizer, InputConfig(**HEADERS, **settings))


def text(tokenizer, ids: list[int]) -> list[str]:
    return tokenizer.convert_ids_to_tokens(ids)


def rendered(turns: list[tuple[int, int, int]]) -> list[str]:
    """The words of the whole battle, untruncated: P prompt A answer-a B answer-b, turns joined by S."""
    out: list[str] = []
    for t, (p, a, b) in enumerate(turns):
        out += ([] if t == 0 else ["S"]) + ["P", *words("p", t, p).split(), "A", *words("a", t, a).split()]
        out += ["B", *words("b", t, b).split()]
    return out


def battle(turns: list[tuple[int, int, int]]) -> tuple[list[str | None], list[str | None], list[str | None]]:
    return (
        [words("p", t, p) for t, (p, _, _) in enumerate(turns)],
        [words("a", t, a) for t, (_, a, _) in enumerate(turns)],
        [words("b", t, b) for t, (_, _, b) in enumerate(turns)],
    )


THREE_TURNS = [(5, 10, 10), (5, 10, 10), (5, 10, 10)]  # 28 tokens a turn, 86 with separators


def test_short_battle_is_kept_whole_between_special_tokens(tokenizer) -> None:
    ids = processor(tokenizer, max_length=128).encode(*battle(THREE_TURNS))
    assert text(tokenizer, ids) == ["[BOS]", *rendered(THREE_TURNS), "[EOS]"]


def test_right_truncation_keeps_the_first_tokens(tokenizer) -> None:
    ids = processor(tokenizer, max_length=40, truncation="right").encode(*battle(THREE_TURNS))
    assert len(ids) == 40
    assert text(tokenizer, ids) == ["[BOS]", *rendered(THREE_TURNS)[:38], "[EOS]"]


def test_left_truncation_keeps_the_last_tokens(tokenizer) -> None:
    ids = processor(tokenizer, max_length=40, truncation="left").encode(*battle(THREE_TURNS))
    assert len(ids) == 40
    assert text(tokenizer, ids) == ["[BOS]", *rendered(THREE_TURNS)[-38:], "[EOS]"]


def test_turns_policy_keeps_whole_turns_from_the_end(tokenizer) -> None:
    ids = processor(tokenizer, max_length=64, truncation="turns").encode(*battle(THREE_TURNS))
    kept = text(tokenizer, ids)[1:-1]
    # turns 2 and 3 fit (28 + 29 tokens of 62); turn 1 does not and is dropped whole
    assert kept == rendered(THREE_TURNS)[-57:]
    assert kept[:2] == ["P", "p1w0"] and "p0w0" not in kept


def test_turns_policy_caps_the_prompt_then_trims_the_longer_answer_first(tokenizer) -> None:
    proc = processor(tokenizer, max_length=64, truncation="turns", prompt_cap=20)
    # one turn: prompt 100, answers 50 and 10 words; 62 tokens of room minus 3 headers = 59
    ids = proc.encode([words("p", 0, 100)], [words("a", 0, 50)], [words("b", 0, 10)])
    assert len(ids) == 64
    expected = ["P", *words("p", 0, 20).split(), "A", *words("a", 0, 29).split(), "B", *words("b", 0, 10).split()]
    assert text(tokenizer, ids)[1:-1] == expected
    # the newest turn is the one cut when even it does not fit; older turns go first
    ids = proc.encode([words("p", 0, 3), words("p", 1, 100)], [words("a", 0, 3), words("a", 1, 50)], ["x1", None])
    kept = text(tokenizer, ids)[1:-1]
    assert kept[:21] == ["P", *words("p", 1, 20).split()] and "p0w0" not in kept
    assert kept[-2:] == ["B", "NULL"] and kept.count("A") == 1


def test_turns_policy_shares_room_equally_when_both_answers_are_long(tokenizer) -> None:
    proc = processor(tokenizer, max_length=64, truncation="turns", prompt_cap=20)
    kept = text(tokenizer, proc.encode([words("p", 0, 5)], [words("a", 0, 50)], [words("b", 0, 40)]))[1:-1]
    # short prompt kept whole; 54 tokens for answers: 27 each
    assert kept == ["P", *words("p", 0, 5).split(), "A", *words("a", 0, 27).split(), "B", *words("b", 0, 27).split()]


@pytest.mark.parametrize("policy", ["turns", "left", "right"])
def test_a_battle_and_its_swap_have_the_same_length(tokenizer, policy: str) -> None:
    proc = processor(tokenizer, max_length=48, truncation=policy, prompt_cap=8)
    turns = [(12, 30, 4), (20, 3, 35)]
    prompt, a, b = battle(turns)
    direct, swapped = proc.encode(prompt, a, b), proc.encode(prompt, b, a)
    assert len(direct) == len(swapped) == 48


def test_trim_longer_first() -> None:
    assert trim_longer_first(10, 5, 20) == (10, 5)
    assert trim_longer_first(50, 5, 20) == (15, 5)
    assert trim_longer_first(5, 50, 20) == (5, 15)
    assert trim_longer_first(50, 40, 21) == (10, 10)


def test_encoder_and_causal_special_tokens(tokenizer) -> None:
    from transformers import AutoTokenizer

    from arenapref.models.finetuned.backbones import default_backbone

    bert = AutoTokenizer.from_pretrained(default_backbone("cross-encoder"))
    ids = BattleProcessor(bert, InputConfig(max_length=32)).encode(["hello " * 50], ["yes " * 40], [None])
    assert 31 <= len(ids) <= 32 and ids[0] == bert.cls_token_id and ids[-1] == bert.sep_token_id  # odd room: 1 spare
    causal = BattleProcessor(tokenizer, InputConfig(**HEADERS), causal=True).encode(["p0w0"], ["a0w0"], ["b0w0"])
    assert text(tokenizer, causal) == ["[BOS]", "P", "p0w0", "A", "a0w0", "B", "b0w0", "[EOS]"]


def test_window_too_small_is_refused(tokenizer) -> None:
    with pytest.raises(ValueError, match="no room"):
        BattleProcessor(tokenizer, InputConfig(**{**HEADERS, "prompt_header": "P " * 12}, max_length=16))
