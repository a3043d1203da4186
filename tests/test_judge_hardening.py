"""The judge's client under hostile or broken servers, caches and options (issue 24), against the fault-injecting
OpenAI-compatible server on loopback: Retry-After bounded and waits counted, malformed log-probabilities set aside,
a whole-request deadline, a cap on the bytes read, outputs checked first and written whole, a damaged cache set
aside, nonsensical options refused. Every test is bounded in wall time; waits go through the injected `sleep`."""

from __future__ import annotations

import math
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arenapref.judge.cache import Completion, ResponseCache
from arenapref.judge.openai_backend import OpenAIBackend
from arenapref.judge.prompts import load_template
from arenapref.judge.run import Judge
from judge_support import Reply, Script, answer, battles, fault_server


def make_judge(url: str, cache: ResponseCache | None = None, **kw: Any) -> Judge:
    """A judge on `url`: one request at a time (the script's replies go to the orders in turn), no real sleeps."""
    options: dict[str, Any] = {"max_retries": 0, "backoff": 0.01, "timeout": 5.0, "concurrency": 1, **kw}
    options.setdefault("sleep", lambda seconds: None)
    return Judge(OpenAIBackend(url, "m", **options), load_template(), ResponseCache(None) if cache is None else cache)


def verdict_tokens(letter: str, logprob: Any) -> dict[str, Any]:
    """OpenAI's logprobs block for '[[X]]' with the letter's log-probability as given."""
    return {"content": [{"token": "[[", "logprob": -0.01}, {"token": letter, "logprob": logprob, "top_logprobs": []}]}


# --- 2: Retry-After bounded by the backoff cap, every wait counted -------------------------------------------------


@pytest.mark.timeout(30)
def test_retry_after_is_capped_and_the_waits_are_counted() -> None:
    asked = ["3600", "1e999", "99999999999", "Fri, 01 Jan 2100 00:00:00 GMT", "soon"]
    script = Script(actions=[Reply(429, {"error": "slow down"}, {"Retry-After": v}) for v in asked])
    waits: list[float] = []
    with fault_server(script) as url:
        judge = make_judge(url, max_retries=5, max_backoff=7.0, sleep=waits.append)
        result = judge.judge(battles(1))
    assert result.counts["failed"] == 0 and result.verdict[0] == 0
    assert waits[:4] == [7.0] * 4  # an hour, infinity, 3,000 years and the year 2100: all the cap
    assert 0.08 <= waits[4] <= 0.16  # an unreadable value: the backoff alone (0.01 s * 2**4, with jitter)
    backend: Any = judge.backend
    assert backend.retries == 5 and backend.waited == pytest.approx(sum(waits))


# --- 3: malformed log-probabilities set aside, counted, the verdict text kept ------------------------------------

MALFORMED = {
    "logprobs is a string": lambda letter: "none",
    "content is an object": lambda letter: {"content": {"a": 1}},
    "a log-probability of 1000": lambda letter: verdict_tokens(letter, 1000),
    "a NaN log-probability": lambda letter: verdict_tokens(letter, math.nan),
    "a token that is a number": lambda letter: {"content": [{"token": 7, "logprob": -1.0}]},
    "an alternative without a log-probability": lambda letter: {
        "content": [{"token": "[[", "logprob": -0.1}, {"token": letter, "logprob": -0.1, "top_logprobs": [{}]}]
    },
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_logprobs_are_counted_and_the_text_verdict_used(case: str, tmp_path: Path) -> None:
    bad = MALFORMED[case]
    # battle 0: A is better; shown swapped, the judge says B (the same answer): consistent
    replies = [Reply(200, answer("A is better. [[A]]", bad("A"))), Reply(200, answer("[[B]]", bad("B")))]
    with fault_server(Script(actions=replies)) as url:
        result = make_judge(url, ResponseCache(tmp_path / "c.sqlite")).judge(battles(1))
        again = make_judge(url, ResponseCache(tmp_path / "c.sqlite")).judge(battles(1))
    assert result.counts["failed"] == 0 and result.counts["malformed_logprobs"] == 2
    assert result.verdict[0] == 0 and result.counts["consistent"] == 1 and result.source == ["votes"]
    assert result.proba[0].argmax() == 0 and np.isfinite(result.proba).all()
    assert again.counts["cached"] == 2 and again.counts["malformed_logprobs"] == 2  # still counted from the cache


# --- 4: --timeout is a deadline for the whole request -------------------------------------------------------------


@pytest.mark.timeout(40)
@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_trickling_server_cannot_hold_a_request_past_the_timeout(headers_too: bool) -> None:
    slow = Reply(200, answer("[[A]]"), trickle=0.1, trickle_headers=headers_too)  # 1 byte / 0.1 s: 15 s or more
    with fault_server(Script(actions=[slow])) as url:
        started = time.monotonic()
        result = make_judge(url, timeout=1.0).judge(battles(1))
        seconds = time.monotonic() - started
    assert seconds < 5, f"the request lasted {seconds:.1f} s with --timeout 1"
    assert result.counts["failed"] == 1 and "no complete answer within 1 s" in result.errors[0]
    assert result.counts["one_order_only"] == 1  # the other order was answered


# --- 5: the bytes read per response are capped --------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_oversize_answers_fail_unread_and_uncached(tmp_path: Path) -> None:
    huge = 20 * 1024 * 1024
    script = Script(actions=[Reply(size=huge), Reply(size=huge, length=False)])  # declared, then streamed
    cache = ResponseCache(tmp_path / "c.sqlite")
    with fault_server(script) as url:
        result = make_judge(url, cache, max_retries=3, max_response_bytes=64 * 1024).judge(battles(1))
    assert result.counts["failed"] == 2 and len(script.received) == 2  # counted as failures, not retried
    assert "20,971,520 bytes, over the 65,536-byte limit" in result.errors[0]
    assert "over the 65,536-byte limit (reading stopped there)" in result.errors[1]
    assert len(cache) == 0


# --- 6: outputs checked before the first request, written whole, never replaced by failures ----------------------


def judge_args(data: Path, url: str, out: Path, *extra: str | Path) -> list[str | Path]:
    return ["judge", data, "-o", out, "--backend", "openai", "--base-url", url, "--model", "m", "--no-logprobs",
            "--concurrency", "1", *extra]  # fmt: skip


def test_an_output_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    from arenapref.data.atomic import replacing

    target = tmp_path / "p.csv"
    target.write_text("earlier\n")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("the writer failed midway")
    assert target.read_text() == "earlier\n" and [p.name for p in tmp_path.iterdir()] == ["p.csv"]
    with replacing(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["p.csv"]


# --- 7: a damaged cache is reported in one line, set aside, and the run goes on -----------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "value", ['{"proba": null}', "not json", '{"text": "[[A]]", "proba": [NaN, 0.5, 0.5]}', "[1, 2]"]
)
def test_unreadable_cache_entries_are_counted_and_asked_again(value: str, tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    script = Script()
    with fault_server(script) as url:
        first = make_judge(url, ResponseCache(path)).judge(battles(2))
        with sqlite3.connect(path) as db:
            db.execute("UPDATE responses SET value = ?", (value,))
        cache = ResponseCache(path)
        again = make_judge(url, cache).judge(battles(2))
        third = make_judge(url, ResponseCache(path)).judge(battles(2))
    assert again.counts["cache_damaged"] == 4 and again.counts["asked"] == 4 and again.counts["failed"] == 0
    assert len(cache.notes) == 1 and "unreadable entries are asked again" in cache.notes[0]
    np.testing.assert_allclose(again.proba, first.proba)
    assert third.counts["cached"] == 4 and third.counts["cache_damaged"] == 0  # the answers asked again replaced them


def test_failed_cache_writes_are_counted_not_raised(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    with sqlite3.connect(tmp_path / "c.sqlite") as other:
        other.execute("DROP TABLE responses")
    cache.put("k", Completion("[[A]]"))
    assert cache.failed_writes == 1 and "could not be cached" in cache.notes[0]


# --- 14: nonsensical numbers refused in one line; error bodies shown on one line ---------------------------------


@pytest.mark.timeout(30)
def test_an_error_body_is_shown_on_one_line() -> None:
    body = b"Bad request:\n\n  the model\tis unknown\r\n" + b"x" * 10_000_000
    with fault_server(Script(actions=[Reply(400, body)])) as url:
        result = make_judge(url).judge(battles(1))
    error = result.errors[0]
    assert "HTTP 400: Bad request: the model is unknown xxx" in error
    assert "\n" not in error and "\t" not in error and len(error) < 300 and error.endswith("…")


# --- the same class of fault beside them ----------------------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "reply",
    [Reply(200, b"[" * 200_000), Reply(200, b"not gzip", {"Content-Encoding": "gzip"}), Reply(200, {"choices": []})],
    ids=["nested too deeply", "undecodable gzip", "no choices"],
)
def test_an_unreadable_answer_is_a_counted_failure(reply: Reply) -> None:
    with fault_server(Script(actions=[reply, reply])) as url:
        result = make_judge(url, max_retries=1).judge(battles(1))
    assert result.counts["failed"] == 1 and result.counts["one_order_only"] == 1
    assert "gave up after 2 attempts" in result.errors[0]


@pytest.mark.timeout(60)
def test_many_retries_do_not_overflow_the_backoff() -> None:
    waits: list[float] = []
    script = Script(actions=["503"] * 1030)
    with fault_server(script) as url:
        result = make_judge(url, max_retries=1030, max_backoff=2.0, sleep=waits.append).judge(battles(1))
    assert result.counts["failed"] == 0 and len(waits) == 1030 and max(waits) <= 2.0
