"""The judge's pure parts: prompt templates, verdict parsing, combining orders, log-probabilities, Auto-J's
agreement, the response cache."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from arenapref.data.errors import DataError
from arenapref.judge.cache import Completion, ResponseCache, request_key
from arenapref.judge.openai_backend import verdict_from_logprobs
from arenapref.judge.probes import agreement_both_orders, pad, sign
from arenapref.judge.prompts import load_template, parse_template, render
from arenapref.judge.verdict import combine, parse_verdict, to_original


def test_default_template_is_mt_bench_pair_v2() -> None:
    t = load_template()
    assert t.system.startswith("Please act as an impartial judge")
    assert '"[[C]]" for a tie' in t.system and "[User Question]" in t.user
    messages, cut = render(t, ["Why?"], ["Because {x}."], ["No."])
    assert not cut and [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "[The Start of Assistant A's Answer]\nBecause {x}.\n[The End of Assistant A's Answer]" in user
    assert user.index("Because") < user.index("No.")


def test_multi_turn_battles_use_the_multi_turn_sections() -> None:
    messages, _ = render(load_template(), ["Q1", "Q2"], ["a1", "a2"], ["b1", None])
    user = messages[1]["content"]
    assert "last user question" in messages[0]["content"]
    assert "### User:\nQ2\n\n### Assistant A:\na2" in user and "### Assistant B:\nb1" in user
    assert user.index("Assistant A's Conversation") < user.index("Assistant B's Conversation")


def test_texts_cut_to_max_chars_are_flagged() -> None:
    messages, cut = render(load_template(), ["Q"], ["x" * 50], ["y"], max_chars=10)
    assert (
        cut and "x" * 10 + "\n[... truncated ...]" in messages[1]["content"] and "x" * 11 not in messages[1]["content"]
    )


def test_a_replacement_template_is_checked(tmp_path: Path) -> None:
    good = "=== system ===\nJudge.\n=== user ===\n{question} {answer_a} {answer_b}\n"
    good += "=== system multi-turn ===\nJudge all.\n=== user multi-turn ===\n{conversation_a} {conversation_b}\n"
    (tmp_path / "t.txt").write_text("# my prompt\n" + good)
    t = load_template(tmp_path / "t.txt")
    assert render(t, ["q"], ["a"], ["b"])[0][1]["content"] == "q a b"
    with pytest.raises(DataError, match=r"t2.txt.*user multi-turn"):
        (tmp_path / "t2.txt").write_text(good.split("=== system multi")[0])
        load_template(tmp_path / "t2.txt")
    with pytest.raises(DataError, match=r"field 'user'.*unknown placeholder.*answer_c"):
        parse_template(good.replace("{answer_b}", "{answer_c}"))


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("A is better. [[A]]", 0),
        ("Final verdict: [[B]]", 1),
        ("[[ C ]]", 2),
        ('Format: "[[A]]" if A ... My verdict: [[B]]', 1),
        ("Assistant A is better", None),
        ("[A]", None),
        (None, None),
    ],
)
def test_parse_verdict(text: str | None, verdict: int | None) -> None:
    assert parse_verdict(text) == verdict


def test_combining_orders() -> None:
    # consistent votes: that verdict, one pseudo-vote per class
    c = combine((0, 0), (None, None))
    assert c.verdict == 0 and c.consistent and c.source == "votes"
    np.testing.assert_allclose(c.proba, [3 / 5, 1 / 5, 1 / 5])
    # inconsistent: a tie, counted as inconsistent
    c = combine((0, 1), (None, None))
    assert c.verdict == 2 and c.consistent is False
    np.testing.assert_allclose(c.proba, [1 / 5, 1 / 5, 3 / 5])
    # log-probabilities are averaged over the orders (already in the battle's own order)
    c = combine((0, 1), (np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.7, 0.1])))
    assert c.source == "logprobs" and c.verdict == 2
    np.testing.assert_allclose(c.proba, [0.4, 0.5, 0.1])
    # nothing usable: uniform
    c = combine((None, None), (None, None))
    assert c.verdict is None and c.source == "none"
    np.testing.assert_allclose(c.proba, 1 / 3)
    assert to_original(0, True) == 1 and to_original(2, True) == 2 and to_original(1, False) == 1


LOG_02 = math.log(0.2)


def test_verdict_distribution_from_openai_logprobs() -> None:
    tokens = [
        {"token": "Thus", "top_logprobs": []},
        {"token": " [[", "top_logprobs": []},
        {
            "token": "B",
            "top_logprobs": [{"token": "B", "logprob": math.log(0.7)}, {"token": " A", "logprob": math.log(0.2)}],
        },
        {"token": "]]", "top_logprobs": []},
    ]
    a, b, c = verdict_from_logprobs(tokens)  # type: ignore[misc]
    assert (a, b) == pytest.approx((0.2, 0.7)) and c == pytest.approx(0.1)  # C shares the mass the list left out
    assert verdict_from_logprobs([{"token": "B", "top_logprobs": []}]) is None  # no '[[' before it
    assert verdict_from_logprobs([]) is None


def test_autoj_agreement_needs_both_orders() -> None:
    labels = np.array([0, 1, 2, 0, 1])
    ab = np.array([0, 1, 0, 0, -1])
    ba = np.array([0, 0, 2, 0, -1])
    agree = agreement_both_orders(labels, ab, ba)
    assert agree.n == 5
    assert agree.agreement == pytest.approx(2 / 5) and agree.consistency == pytest.approx(2 / 5)
    assert agree.agreement_first == pytest.approx(3 / 5) and agree.agreement_second == pytest.approx(3 / 5)


def test_probe_texts() -> None:
    assert pad("x") == "x\n\nx" and sign("x", "J").endswith("(Answer written by J.)")


def test_response_cache_persists_and_keys_cover_settings(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "hi"}]
    k1 = request_key("openai", "m", {"max_tokens": 5}, messages)
    assert k1 != request_key("openai", "m", {"max_tokens": 6}, messages)
    assert k1 != request_key("openai", "m2", {"max_tokens": 5}, messages)
    cache = ResponseCache(tmp_path / "c.sqlite")
    assert cache.get(k1) is None
    cache.put(k1, Completion("[[A]]", (0.5, 0.25, 0.25)))
    cache.close()
    again = ResponseCache(tmp_path / "c.sqlite")
    assert again.get(k1) == Completion("[[A]]", (0.5, 0.25, 0.25)) and len(again) == 1
    assert (again.hits, again.misses) == (1, 0)
