"""The judge's client under hostile or broken servers, caches and options (issue 24), against the fault-injecting
OpenAI-compatible server on loopback: Retry-After bounded and waits counted, malformed log-probabilities set aside,
a whole-request deadline, a cap on the bytes read, outputs checked first and written whole, a damaged cache set
aside, nonsensical options refused. Every test is bounded in wall time; waits go through the injected `sleep`."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arenapref.judge.cache import Completion, ResponseCache
from arenapref.judge.openai_backend import OpenAIBackend
from arenapref.judge.prompts import load_template
from arenapref.judge.run import Judge
from judge_support import Script, battles, fault_server


def make_judge(url: str, cache: ResponseCache | None = None, **kw: Any) -> Judge:
    """A judge on `url`: one request at a time (the script's replies go to the orders in turn), no real sleeps."""
    options: dict[str, Any] = {"max_retries": 0, "backoff": 0.01, "timeout": 5.0, "concurrency": 1, **kw}
    options.setdefault("sleep", lambda seconds: None)
    return Judge(OpenAIBackend(url, "m", **options), load_template(), ResponseCache(None) if cache is None else cache)


def verdict_tokens(letter: str, logprob: Any) -> dict[str, Any]:
    """OpenAI's logprobs block for '[[X]]' with the letter's log-probability as given."""
    return {"content": [{"token": "[[", "logprob": -0.01}, {"token": letter, "logprob": logprob, "top_logprobs": []}]}


# --- 2: Retry-After bounded by the backoff cap, every wait counted -------------------------------------------------


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


# --- 4: --timeout is a deadline for the whole request -------------------------------------------------------------


# --- 5: the bytes read per response are capped --------------------------------------------------------------------


# --- 6: outputs checked before the first request, written whole, never replaced by failures ----------------------


def judge_args(data: Path, url: str, out: Path, *extra: str | Path) -> list[str | Path]:
    return ["judge", data, "-o", out, "--backend", "openai", "--base-url", url, "--model", "m", "--no-logprobs",
            "--concurrency", "1", *extra]  # fmt: skip


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


# --- the same class of fault beside them ----------------------------------------------------------------------------
