"""The OpenAI-compatible backend against a real server: `transformers serve` on the SmolLM2-135M-Instruct
checkpoint folder, on loopback (started once for this module; about 15 s on an idle 2-core machine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from arenapref.data.submission import write_kaggle_train
from cli_support import run
from judge_support import battles, transformers_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(smollm2_folder: Path) -> Iterator[str]:
    with transformers_server(smollm2_folder) as url:
        yield url


def test_judge_command_through_transformers_serve(
    served: str,
    smollm2_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = write_kaggle_train(battles(2), tmp_path / "battles.csv")
    out = tmp_path / "pred.csv"
    args = ["judge", data, "-o", out, "--backend", "openai", "--base-url", served, "--model", str(smollm2_folder),
            "--max-tokens", "8", "--cache-dir", tmp_path / "cache", "--concurrency", "1",
            "--timeout", "900"]  # fmt: skip
    code, text = run(monkeypatch, capsys, *args)
    assert code == 0, text
    assert "4 prompts: 0 from the cache, 4 asked, 0 failed" in text
    # transformers serve ignores `logprobs`: the probabilities come from the votes (or uniform when unparsed)
    assert "probabilities from log-probabilities 0" in text
    pred = pd.read_csv(out)
    assert list(pred["id"]) == ["b0", "b1"]
    assert pred[["winner_model_a", "winner_model_b", "winner_tie"]].sum(axis=1).round(9).eq(1).all()
    details = pd.read_csv(out.with_suffix(".judge.csv"))
    assert set(details["source"]) <= {"votes", "none"}
    code, text = run(monkeypatch, capsys, *args)
    assert code == 0 and "4 prompts: 4 from the cache, 0 asked" in text


def test_a_wrong_model_name_is_a_reported_failure(
    served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(1), tmp_path / "battles.csv")
    args = ["judge", data, "-o", tmp_path / "p.csv", "--backend", "openai", "--base-url", served, "--model", "nope",
            "--no-cache"]  # fmt: skip
    code, text = run(monkeypatch, capsys, *args)
    assert code == 1
    assert "2 requests failed" in text and "HTTP 400" in text and "pinned" in text
