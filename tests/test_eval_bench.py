"""The benchmark end to end on small synthetic sets: both protocols, scoring against the prior, the cache (a rerun
fits nothing), published rows, and the `bench` command's files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from arenapref.cli import app
from arenapref.evaluation.bench import BenchConfig, plan_tasks, run_bench
from arenapref.evaluation.render import markdown
from arenapref.models import registry
from eval_support import CountingModel, synthetic_battles, write_sets


@pytest.fixture()
def sets_dir(tmp_path: Path) -> Path:
    return write_sets(
        tmp_path / "data",
        {
            "autoj": synthetic_battles("autoj", 240, seed=1, n_prompts=120),
            "hhh": synthetic_battles("hhh", 220, seed=2, tie_allowed=False),
            "tulu1": synthetic_battles("tulu1", 210, seed=3),
            "kaggle-sample": synthetic_battles("kaggle-sample", 60, seed=4),
        },
    )


@pytest.fixture()
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingModel]:
    monkeypatch.setitem(registry.MODELS, CountingModel.name, CountingModel)
    CountingModel.fits = 0
    return CountingModel


def test_bench_runs_both_protocols_and_a_rerun_hits_the_cache(
    sets_dir: Path, tmp_path: Path, counting: type[CountingModel]
) -> None:
    config = BenchConfig(sets_dir, ["counting", "longer_wins"], quick=True, cache_dir=tmp_path / "cache")
    first = run_bench(config)
    # in-domain: autoj, hhh (k folds each); transfer: autoj, hhh, tulu1 held out (kaggle-sample too small)
    fits = 2 * config.n_splits + 3
    assert counting.fits == fits
    assert first.cache == {"hits": 0, "misses": 3 * 5}
    keys = {(r.set_name, r.protocol, r.model) for r in first.rows}
    assert ("tulu1", "transfer", "longer_wins") in keys and ("tulu1", "in-domain", "prior") not in keys
    assert not any(r.set_name == "kaggle-sample" for r in first.rows)
    by_key = {(r.set_name, r.protocol, r.model): r for r in first.rows}
    prior = by_key[("autoj", "in-domain", "prior")]
    assert prior.log_loss == prior.prior_log_loss and prior.consistency == 1.0
    hhh = by_key[("hhh", "in-domain", "longer_wins")]
    assert hhh.classes == 2 and hhh.n == 220 and hhh.accuracy > 0.6  # 75% of the synthetic pairs follow length

    second = run_bench(config)
    assert counting.fits == fits  # nothing refitted
    assert second.cache == {"hits": 15, "misses": 0}
    assert [r.log_loss for r in second.rows] == [r.log_loss for r in first.rows]
    assert all(r.cached for r in second.rows)

    write_sets(sets_dir, {"tulu1": synthetic_battles("tulu1", 210, seed=99)})  # changed data: transfer reruns
    run_bench(config)
    assert counting.fits == fits + 3


def test_quick_plan_cross_validates_a_datasets_splits_together() -> None:
    battles = pd.concat(
        [
            synthetic_battles("hh-rlhf/harmless-base", 120, tie_allowed=False),
            synthetic_battles("hh-rlhf/helpful-base", 120, tie_allowed=False),
            synthetic_battles("autoj", 60),
        ],
        ignore_index=True,
    )
    full, _ = plan_tasks(battles, n_splits=2, seed=0)
    quick, _ = plan_tasks(battles, n_splits=2, seed=0, max_train=50, pool_splits=True)
    in_domain = [t.name for t in full if t.protocol == "in-domain"]
    assert in_domain == ["autoj", "hh-rlhf/harmless-base", "hh-rlhf/helpful-base"]
    assert [t.name for t in quick if t.protocol == "in-domain"] == ["autoj", "hh-rlhf"]
    transfer = [t for t in quick if t.protocol == "transfer"]
    assert [t.name for t in transfer] == ["hh-rlhf"] and len(transfer[0].splits[0].train) == 50


def test_one_dataset_plans_no_transfer_run_and_says_why() -> None:
    tasks, notes = plan_tasks(synthetic_battles("autoj", 240, n_prompts=120), n_splits=2, seed=0)
    assert [(t.protocol, t.name) for t in tasks] == [("in-domain", "autoj")]
    assert notes == ["autoj: no transfer run (no other dataset to train on)"]


class BrokenModel(CountingModel):
    name = "broken"

    def fit(self, battles: pd.DataFrame) -> BrokenModel:
        raise RuntimeError("cannot fit")


def test_a_failing_model_is_reported_and_the_others_still_scored(
    sets_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(registry.MODELS, BrokenModel.name, BrokenModel)
    result = run_bench(BenchConfig(sets_dir, ["broken", "longer_wins"], quick=True, cache_dir=None))
    assert {f["model"] for f in result.failures} == {"broken"} and len(result.failures) == 5
    assert "cannot fit" in result.failures[0]["error"]
    assert {r.model for r in result.rows} == {"prior", "longer_wins"}
    args = ["bench", "--data", str(sets_dir), "--quick", "--models", "broken", "--out", str(tmp_path), "--no-cache"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1 and "failed:" in done.output and "cannot fit" in done.output


def test_bench_results_carry_published_numbers_and_notes(sets_dir: Path) -> None:
    result = run_bench(BenchConfig(sets_dir, ["longer_wins"], quick=True, cache_dir=None))
    doc = result.to_dict()
    assert {p["system"] for p in doc["published"]} >= {"GPT-4", "PairRM", "Auto-J-13B", "ChatGPT"}
    assert any("folded out" in note for note in doc["notes"])
    text = markdown(result)
    assert "| autoj | 3 | published | GPT-4 [1] |  | 62.28 |" in text
    assert "| hhh | 2 | published | PairRM [3] |  | 84.62 |" in text


def test_bench_command_writes_json_and_markdown(sets_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["bench", "--data", str(sets_dir), "--quick", "--models", "prior,longer_wins", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "longer_wins" in result.output and "62.28" in result.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["config"]["models"] == ["prior", "longer_wins"]
    assert (out / "results.md").read_text().startswith("# arenapref bench (quick)")


def test_bench_command_rejects_an_unknown_model(sets_dir: Path, tmp_path: Path) -> None:
    args = ["bench", "--data", str(sets_dir), "--models", "nope", "--out", str(tmp_path), "--no-cache"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "unknown model" in result.output
