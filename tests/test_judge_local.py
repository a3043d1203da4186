"""The local backend on SmolLM2-135M-Instruct: the verdict's log-probabilities give the probabilities, the judge
as a registered PreferenceModel (both orders, or one order per call as the benchmark uses it), and the `judge`
command end to end with `evaluate` reading its output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.submission import write_kaggle_train
from arenapref.data.swap import swap, swap_proba
from arenapref.judge.config import JudgeConfig
from arenapref.judge.model import JudgeModel
from arenapref.models import registry
from cli_support import run
from judge_support import battles

pytestmark = pytest.mark.slow


def test_judge_model_reads_verdict_logits_in_both_orders(smollm2_folder: Path, tmp_path: Path) -> None:
    config = JudgeConfig(model=str(smollm2_folder), max_tokens=3, max_chars=200, cache_dir=str(tmp_path / "c"))
    table = battles(2)
    both = JudgeModel(config).fit(table)
    proba = both.predict_proba(table)
    result = both.last_result
    assert result.counts["proba_from_logprobs"] == 2 and result.counts["asked"] == 4
    assert result.counts["consistent"] + result.counts["inconsistent"] == 2
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba, (result.proba_ab + result.proba_ba) / 2)
    assert not np.allclose(result.proba_ab, result.proba_ba)  # the two orders are really judged apart
    # one order per call: the swapped battles are the other order, answered from the cache
    single = JudgeModel(config, orders="single")
    p, p_swapped = single.predict_proba(table), single.predict_proba(swap(table))
    assert single.last_result.counts["cached"] == 4
    np.testing.assert_allclose((p + swap_proba(p_swapped)) / 2, proba)
    # a saved judge loads with its settings
    saved = registry.load(both.save(tmp_path / "model"))
    assert isinstance(saved, JudgeModel) and saved.config == config and saved.orders == "both"
    assert "judge" in registry.MODELS and "judge-smollm2" in registry.MODELS
    assert "judge" not in registry.default_models() and "prior" in registry.default_models()


def test_judge_command_local_then_evaluate(
    smollm2_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_kaggle_train(battles(3), tmp_path / "battles.csv")
    out = tmp_path / "pred.csv"
    args = ["judge", data, "-o", out, "--backend", "local", "--model", smollm2_folder, "--max-tokens", "0",
            "--cache-dir", tmp_path / "cache"]  # fmt: skip
    code, text = run(monkeypatch, capsys, *args)
    assert code == 0, text
    assert "6 asked, 0 failed" in text and "probabilities from log-probabilities 3" in text
    assert "agreement with the 3 human labels (Auto-J protocol" in text
    details = pd.read_csv(out.with_suffix(".judge.csv"))
    assert list(details["source"]) == ["logprobs"] * 3
    code, text = run(monkeypatch, capsys, "evaluate", out, data, "--judge-details", out.with_suffix(".judge.csv"))
    assert code == 0, text
    assert "judge (Auto-J protocol, both orders must match the label)" in text
