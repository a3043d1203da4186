"""The embedding models through the command line and the service: train, predict (Kaggle format), explain with
embedding features under their names, and serve, with a temporary embedding cache."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from arenapref.features.encoders.cache import ENV_VAR
from arenapref.features.labels import label_of
from arenapref.serve.app import create_app
from test_fast_cli import SUBMISSION_COLUMNS, run


@pytest.fixture(scope="module")
def trained(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """embed and embed-mlp trained through the CLI on the 100-row Kaggle sample; (folder of both, cache)."""
    root = tmp_path_factory.mktemp("embed-cli")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(root / "cache"))
        for name in ("embed", "embed-mlp"):
            code, text = run("train", data_dir / "kaggle-sample" / "train.csv", "--model", name, "-o", root / name)
            assert code == 0, text
            assert f"trained {name} on 100 battles" in text
    return root, root / "cache"


def test_predict_writes_a_kaggle_submission(
    trained: tuple[Path, Path], data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = trained
    monkeypatch.setenv(ENV_VAR, str(cache))
    raw = pd.read_csv(data_dir / "kaggle-sample" / "train.csv")
    test = raw[["id", "prompt", "response_a", "response_b"]].iloc[::-1].head(30)  # a test file: no labels
    test.to_csv(tmp_path / "test.csv", index=False)
    for name in ("embed", "embed-mlp"):
        out = tmp_path / f"{name}.csv"
        code, text = run("predict", root / name, tmp_path / "test.csv", "-o", out)
        assert code == 0, text
        submission = pd.read_csv(out)
        assert list(submission.columns) == SUBMISSION_COLUMNS
        assert submission["id"].tolist() == test["id"].tolist()
        assert (submission[SUBMISSION_COLUMNS[1:]].sum(axis=1) - 1).abs().max() < 1e-9


def test_explain_names_embedding_features(
    trained: tuple[Path, Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = trained
    monkeypatch.setenv(ENV_VAR, str(cache))
    battle_id = str(pd.read_csv(data_dir / "kaggle-sample" / "train.csv")["id"].iloc[0])
    code, text = run(
        "explain", root / "embed", data_dir / "kaggle-sample" / "train.csv", "--id", battle_id, "--top", "1000"
    )
    assert code == 0, text
    for label in ("closeness to the prompt", "how alike A and B", "meaning of A vs B", "kind of prompt"):
        assert label in text
    code, text = run(
        "explain", root / "embed", data_dir / "kaggle-sample" / "train.csv", "--id", battle_id, "--top", "1000", "--raw"
    )
    assert code == 0, text
    for name in ("emb_cos_prompt_diff", "emb_cos_ab", "emb_meaning_*", "emb_prompt_*"):
        assert name in text
    code, text = run("explain", root / "embed-mlp", data_dir / "kaggle-sample" / "train.csv", "--id", battle_id)
    assert code == 0 and "cannot explain" in text


def test_serve_answers_with_an_embedding_model(trained: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = trained
    monkeypatch.setenv(ENV_VAR, str(cache))
    client = TestClient(create_app(root / "embed"))
    body = {"prompt": "What is 2+2?", "response_a": "4", "response_b": "2+2 equals 4, since 2 plus 2 is 4."}
    out = client.post("/v1/predict", json=body).json()
    swapped = client.post("/v1/predict", json={**body, "response_a": body["response_b"], "response_b": "4"}).json()
    assert out["p_a"] + out["p_b"] + out["p_tie"] == pytest.approx(1.0)
    assert (swapped["p_a"], swapped["p_b"], swapped["p_tie"]) == (out["p_b"], out["p_a"], out["p_tie"])
    names = json.loads((root / "embed" / "model.json").read_text())["state"]["feature_names"]
    assert any(n.startswith("emb_") for n in names)
    assert out["reasons"] and {r["feature"] for r in out["reasons"]} <= {label_of(n).group or n for n in names}
