"""The fine-tuned models through the existing paths: `arenapref train --set`, `predict --max-length`, the REST
service and `arenapref bench --models llm --set ...`, with a tiny random Llama as the backbone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from cli_support import run
from eval_support import synthetic_battles, write_sets
from neural_support import one_thread, tiny_checkpoint  # noqa: F401

TINY_OPTIONS = ["max_length=32", "max_train_battles=24", "eval_fraction=0", "progress_bar=false", "lora_r=2"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "llama")


def sets(tiny: Path) -> list[str]:
    return [arg for opt in [f"backbone={tiny}", *TINY_OPTIONS] for arg in ("--set", opt)]


def test_train_predict_and_serve(monkeypatch, capsys, tiny: Path, tmp_path: Path, data_dir: Path) -> None:
    autoj = data_dir / "autoj" / "testdata_pairwise.jsonl"
    code, out = run(monkeypatch, capsys, "train", autoj, "--model", "llm", *sets(tiny), "-o", tmp_path / "m")
    assert code == 0, out
    assert "trained llm" in out and (tmp_path / "m" / "adapter" / "adapter_config.json").is_file()

    sample = data_dir / "kaggle-sample" / "train.csv"
    code, out = run(
        monkeypatch, capsys, "predict", tmp_path / "m", sample, "--max-length", "24", "-o", tmp_path / "s.csv"
    )
    assert code == 0, out
    sub = pd.read_csv(tmp_path / "s.csv")
    assert len(sub) == 100 and np.allclose(sub[["winner_model_a", "winner_model_b", "winner_tie"]].sum(axis=1), 1)

    from fastapi.testclient import TestClient

    from arenapref.serve.app import create_app

    client = TestClient(create_app(tmp_path / "m"))
    battle = {"prompt": ["Hi"], "response_a": ["Hello! How can I help?"], "response_b": ["hi"]}
    swapped = {**battle, "response_a": battle["response_b"], "response_b": battle["response_a"]}
    one, two = (client.post("/v1/predict", json=b).json() for b in (battle, swapped))
    assert (one["p_a"], one["p_b"], one["p_tie"]) == (two["p_b"], two["p_a"], two["p_tie"])


def test_bad_option_is_one_clear_line(monkeypatch, capsys, tiny: Path, tmp_path: Path, data_dir: Path) -> None:
    autoj = data_dir / "autoj" / "testdata_pairwise.jsonl"
    code, out = run(monkeypatch, capsys, "train", autoj, "--model", "llm", "--set", "windw=3", "-o", tmp_path / "m")
    assert code == 2 and "unknown option 'windw'" in out and "Traceback" not in out
    code, out = run(monkeypatch, capsys, "train", autoj, "--model", "fast", "--set", "x=1", "-o", tmp_path / "m")
    assert code == 2 and "takes no options" in out


def test_bench_runs_the_llm_with_options(monkeypatch, capsys, tiny: Path, tmp_path: Path) -> None:
    data = write_sets(tmp_path / "data", {"autoj": synthetic_battles("autoj", 60, n_prompts=30)})
    args = ["bench", "--data", data, "--models", "llm", "--quick", "--no-cache", "--out", tmp_path / "out"]
    code, out = run(monkeypatch, capsys, *args, *sets(tiny))
    assert code == 0, out
    import json

    result = json.loads((tmp_path / "out" / "results.json").read_text())
    rows = [r for r in result["rows"] if r["model"] == "llm"]
    assert rows and result["config"]["model_options"]["max_length"] == "32"
    assert all(r["consistency"] == 1.0 and r["mean_abs_diff"] < 1e-12 for r in rows)  # swap TTA
