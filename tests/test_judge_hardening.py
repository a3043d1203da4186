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
import pandas as pd
import pytest

from arenapref.data.submission import write_kaggle_train
from arenapref.judge.cache import Completion, ResponseCache
from arenapref.judge.openai_backend import OpenAIBackend
from arenapref.judge.prompts import load_template
from arenapref.judge.run import Judge
from cli_support import run
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


@pytest.mark.timeout(60)
def test_cli_reports_the_retries_and_the_time_waited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(1), tmp_path / "battles.csv")
    script = Script(actions=[Reply(429, {"error": "slow down"}, {"Retry-After": "0"})])
    with fault_server(script) as url:
        code, text = run(monkeypatch, capsys, "judge", data, "-o", tmp_path / "p.csv", "--backend", "openai",
                         "--base-url", url, "--model", "m", "--no-cache", "--concurrency", "1")  # fmt: skip
    assert code == 0, text
    assert "1 retried after waiting" in text and " s in all" in text


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


@pytest.mark.timeout(30)
@pytest.mark.parametrize("where", ["a folder", "the input file", "the details file", "under a file"])
def test_an_unwritable_output_is_refused_before_any_request(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(2), tmp_path / "battles.csv")
    (tmp_path / "file").write_text("x")
    out, extra = {
        "a folder": (tmp_path, []),
        "the input file": (data, []),
        "the details file": (tmp_path / "p.csv", ["--details", tmp_path / "p.csv"]),
        "under a file": (tmp_path / "file" / "p.csv", []),
    }[where]
    script = Script()
    with fault_server(script) as url:
        code, text = run(monkeypatch, capsys, *judge_args(data, url, out, *extra, "--no-cache"))
    assert code == 2, text
    assert text.count("\n") == 1 and str(out) in text and "Traceback" not in text
    assert script.received == []
    assert pd.read_csv(data)["id"].tolist() == ["b0", "b1"]  # the input is intact


@pytest.mark.timeout(30)
@pytest.mark.parametrize("url", ["127.0.0.1:8911/v1", "ftp://127.0.0.1/v1", "http://[::1/v1", "http:///v1"])
def test_a_base_url_that_cannot_work_exits_2_at_once(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(1), tmp_path / "battles.csv")
    started = time.monotonic()
    code, text = run(monkeypatch, capsys, *judge_args(data, url, tmp_path / "p.csv", "--no-cache"))
    assert code == 2 and "--base-url" in text and "Traceback" not in text, text
    assert time.monotonic() - started < 5


@pytest.mark.timeout(60)
def test_a_failed_rerun_keeps_the_earlier_predictions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(3), tmp_path / "battles.csv")
    out = tmp_path / "p.csv"
    with fault_server(Script()) as url:
        code, text = run(monkeypatch, capsys, *judge_args(data, url, out, "--no-cache"))
    assert code == 0, text
    good, good_details = out.read_bytes(), out.with_suffix(".judge.csv").read_bytes()
    with fault_server(Script(default="503")) as url:
        code, text = run(monkeypatch, capsys, *judge_args(data, url, out, "--no-cache", "--retries", "0"))
    assert code == 1 and "kept the earlier" in text and "6 requests failed" in text, text
    assert out.read_bytes() == good and out.with_suffix(".judge.csv").read_bytes() == good_details
    assert sorted(p.name for p in tmp_path.iterdir()) == ["battles.csv", "p.csv", "p.judge.csv"]  # no temp left
    fresh = tmp_path / "fresh.csv"  # no earlier file: the uniform rows are written, and said to be
    with fault_server(Script(default="503")) as url:
        code, text = run(monkeypatch, capsys, *judge_args(data, url, fresh, "--no-cache", "--retries", "0"))
    assert code == 1 and "holds uniform rows" in text, text
    np.testing.assert_allclose(pd.read_csv(fresh).iloc[:, 1:].to_numpy(), 1 / 3)


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


@pytest.mark.timeout(60)
def test_a_cache_file_of_random_bytes_is_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(2), tmp_path / "battles.csv")
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    junk = np.random.default_rng(0).bytes(8192)
    (cache_dir / "judge-responses.sqlite").write_bytes(junk)
    with fault_server(Script()) as url:
        code, text = run(monkeypatch, capsys, *judge_args(data, url, tmp_path / "p.csv", "--cache-dir", cache_dir))
        assert code == 0, text
        notes = [line for line in text.splitlines() if "damaged judge cache" in line]
        assert len(notes) == 1 and "set aside as judge-responses.sqlite.damaged-1" in notes[0]
        assert (cache_dir / "judge-responses.sqlite.damaged-1").read_bytes() == junk
        code, text = run(monkeypatch, capsys, *judge_args(data, url, tmp_path / "p.csv", "--cache-dir", cache_dir))
    assert code == 0 and "4 from the cache" in text, text  # the new cache holds the first run's answers


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


@pytest.mark.timeout(30)
def test_a_cache_dir_that_is_a_file_exits_2_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(1), tmp_path / "battles.csv")
    (tmp_path / "not-a-folder").write_text("x")
    script = Script()
    with fault_server(script) as url:
        code, text = run(monkeypatch, capsys, *judge_args(data, url, tmp_path / "p.csv",
                                                           "--cache-dir", tmp_path / "not-a-folder"))  # fmt: skip
    assert code == 2 and "not-a-folder: cannot hold the judge cache" in text and "Traceback" not in text, text
    assert script.received == []


def test_failed_cache_writes_are_counted_not_raised(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    with sqlite3.connect(tmp_path / "c.sqlite") as other:
        other.execute("DROP TABLE responses")
    cache.put("k", Completion("[[A]]"))
    assert cache.failed_writes == 1 and "could not be cached" in cache.notes[0]


# --- 14: nonsensical numbers refused in one line; error bodies shown on one line ---------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "option",
    [
        ["--max-chars", "-5"],
        ["--max-chars", "0"],
        ["--timeout", "nan"],
        ["--timeout", "inf"],
        ["--max-tokens", "0"],
        ["--probes", "-1"],
        ["--max-response-bytes", "0"],
    ],
    ids=" ".join,
)
def test_nonsensical_numbers_are_refused(
    option: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(1), tmp_path / "battles.csv")
    script = Script()
    with fault_server(script) as url:
        code, text = run(monkeypatch, capsys, *judge_args(data, url, tmp_path / "p.csv", "--no-cache", *option))
    assert code == 2 and "Traceback" not in text, text
    assert f"{option[0]} must be" in text or f"'{option[0]}'" in text, text
    assert script.received == [] and not (tmp_path / "p.csv").exists()


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
