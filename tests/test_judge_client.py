"""The OpenAI-compatible client's failure paths against a fault-injecting server on loopback: retries on 429 and
5xx, timeouts, refusals, unparseable verdicts, log-probabilities, and resuming a killed `arenapref judge` run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.submission import write_kaggle_train
from arenapref.judge.cache import ResponseCache
from arenapref.judge.openai_backend import OpenAIBackend
from arenapref.judge.prompts import load_template
from arenapref.judge.run import Judge
from judge_support import Script, battles, fault_server

ROOT = Path(__file__).parents[1]


def make_judge(url: str, cache: ResponseCache, **kw: object) -> Judge:
    options: dict = {"max_retries": 3, "backoff": 0.01, "timeout": 5.0, "concurrency": 2, "logprobs": False, **kw}
    backend = OpenAIBackend(url, "m", **options)
    return Judge(backend, load_template(), cache)


def test_retries_on_429_and_5xx_then_succeeds() -> None:
    script = Script(actions=["429", "500", "503"])
    with fault_server(script) as url:
        judge = make_judge(url, ResponseCache(None), concurrency=1)
        result = judge.judge(battles(1))
    assert result.counts["failed"] == 0
    assert len(script.received) == 5  # three failures retried, then both orders answered
    assert judge.backend.retries == 3  # type: ignore[attr-defined]
    assert result.verdict[0] == 0 and result.counts["consistent"] == 1


def test_timeout_is_retried() -> None:
    script = Script(actions=["slow"], slow_seconds=1.5)
    with fault_server(script) as url:
        judge = make_judge(url, ResponseCache(None), timeout=0.5, concurrency=1)
        result = judge.judge(battles(1))
    assert result.counts["failed"] == 0
    assert judge.backend.retries >= 1  # type: ignore[attr-defined]
    assert result.verdict_ab[0] == 0 and result.verdict_ba[0] == 0


def test_exhausted_retries_and_refusals_are_counted_not_raised() -> None:
    script = Script(default="500")
    with fault_server(script) as url:
        result = make_judge(url, ResponseCache(None), max_retries=1).judge(battles(2))
    assert result.counts["failed"] == 4 and len(result.errors) == 4
    assert "gave up after 2 attempts" in result.errors[0]
    np.testing.assert_allclose(result.proba, 1 / 3)  # no verdict: uniform, counted as such
    assert result.counts["no_verdict"] == 2
    with fault_server(Script(default="400")) as url:
        refused = make_judge(url, ResponseCache(None)).judge(battles(1))
    assert refused.counts["failed"] == 2 and "HTTP 400" in refused.errors[0]


def test_unparseable_verdicts_counted_and_one_order_used() -> None:
    script = Script(actions=["garbage"])  # the first request: one order of the only battle
    with fault_server(script) as url:
        result = make_judge(url, ResponseCache(None), concurrency=1).judge(battles(1))
    assert result.counts["orders_read_from_unparseable"] == 1
    assert result.counts["one_order_only"] == 1
    assert result.verdict[0] == 0 and result.source == ["votes"]
    np.testing.assert_allclose(result.proba[0], [0.5, 0.25, 0.25])  # one vote, one pseudo-vote per class


def test_logprobs_give_the_probabilities_averaged_over_orders() -> None:
    with fault_server(Script(logprobs=True)) as url:
        result = make_judge(url, ResponseCache(None), logprobs=True).judge(battles(2))
    assert result.counts["proba_from_logprobs"] == 2
    assert result.proba[0].argmax() == 0 and result.proba[1].argmax() == 1
    assert np.isclose(result.proba[0, 0], result.proba_ab[0, 0]) and 0.5 < result.proba[0, 0] < 0.95
    np.testing.assert_allclose(result.proba.sum(axis=1), 1.0)


def test_cache_answers_a_rerun_and_never_holds_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_TEST_KEY", "sk-secret-123")
    script = Script()
    with fault_server(script) as url:
        first = make_judge(url, ResponseCache(tmp_path / "c.sqlite"), api_key_env="JUDGE_TEST_KEY").judge(battles(3))
        again = make_judge(url, ResponseCache(tmp_path / "c.sqlite"), api_key_env="JUDGE_TEST_KEY").judge(battles(3))
    assert script.auth == ["Bearer sk-secret-123"] * 6  # the key went in the header, and only 6 requests were made
    assert again.counts["cached"] == 6 and again.counts["asked"] == 0
    np.testing.assert_allclose(again.proba, first.proba)
    assert b"sk-secret" not in (tmp_path / "c.sqlite").read_bytes()


def test_killed_cli_run_resumes_from_the_cache(tmp_path: Path) -> None:
    data = write_kaggle_train(battles(12), tmp_path / "battles.csv")
    out = tmp_path / "pred.csv"
    script = Script(delay=0.3)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with fault_server(script) as url:
        cmd = [sys.executable, "-c", "from arenapref.cli import main; main()", "judge", str(data), "-o", str(out),
               "--backend", "openai", "--base-url", url, "--model", "m", "--no-logprobs", "--concurrency", "1",
               "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while script.answered < 6 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        answered_before_kill = script.answered
        assert 6 <= answered_before_kill < 24, "the run must be killed midway"
        assert not out.exists()
        script.delay = 0.0
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    asked_again = len(script.received) - answered_before_kill
    # every answer that reached the killed client was cached: at most the one in flight is asked twice
    assert 24 - answered_before_kill <= asked_again <= 24 - answered_before_kill + 1
    assert "from the cache" in done.stdout
    pred = pd.read_csv(out)
    assert list(pred["id"]) == [f"b{i}" for i in range(12)]
    assert (pred[["winner_model_a", "winner_model_b", "winner_tie"]].to_numpy().argmax(axis=1) == [0, 1, 2] * 4).all()


def test_cli_probes_and_bad_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli_support import run

    data = write_kaggle_train(battles(4), tmp_path / "battles.csv")
    out = tmp_path / "pred.csv"
    with fault_server(Script()) as url:
        base = ["judge", data, "-o", out, "--backend", "openai", "--base-url", url, "--model", "judge-m"]
        code, text = run(monkeypatch, capsys, *base, "--no-cache", "--no-logprobs", "--probes", "3")
        assert code == 0, text
        assert "agreement with the 4 human labels (Auto-J protocol, both orders must match): 100.00%" in text
        assert "self-enhancement probe (3 battles, one side signed 'judge-m')" in text
        probes = json.loads(out.with_suffix(".probes.json").read_text())
        assert probes["verbosity"]["n"] == 3 and probes["verbosity"]["tie"] == 1.0
        (tmp_path / "bad.txt").write_text("=== system ===\nx\n")
        code, text = run(monkeypatch, capsys, *base, "--prompt", tmp_path / "bad.txt")
        assert code == 2 and "bad.txt: judge prompt lacks section(s) user" in text
    code, text = run(monkeypatch, capsys, "judge", data, "--backend", "openai", "--model", "m")
    assert code == 2 and "needs --base-url" in text
