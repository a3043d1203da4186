"""The service with a real trained model: the fast LightGBM model (small, trained once per session)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from arenapref.data.io import read_battles
from arenapref.data.swap import swap_proba
from arenapref.features.labels import TFIDF_GROUP, label_of, sentence
from arenapref.models import registry
from arenapref.serve.app import create_app
from arenapref.serve.settings import ServeSettings
from serve_support import DATA, small_fast_model_dir


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return small_fast_model_dir()


@pytest.fixture(scope="module")
def client(model_dir: Path) -> TestClient:
    return TestClient(create_app(model_dir, ServeSettings(reasons_top=4)))


@pytest.fixture(scope="module")
def unseen() -> list[dict[str, object]]:
    """Auto-J battles the model was not trained on (it saw the first 400), as API bodies."""
    battles, _ = read_battles(DATA / "autoj" / "testdata_pairwise.jsonl")
    rows = battles.iloc[1000:1012]
    return [
        {"id": r.id, "prompt": list(r.prompt), "response_a": list(r.response_a), "response_b": list(r.response_b)}
        for r in rows.itertuples()
    ]


def test_model_metadata(client: TestClient, model_dir: Path) -> None:
    info = client.get("/v1/model").json()
    assert info["name"] == "fast" and info["explains"] is True and info["directory"] == model_dir.name
    assert "state" not in info["metadata"]
    assert info["metadata"]["training"]["rows"] == 400 and len(info["metadata"]["training"]["sha256"]) == 64


def test_batch_matches_the_model_and_single_calls(client: TestClient, model_dir: Path, unseen: list[dict]) -> None:
    out = client.post("/v1/predict/batch", json={"battles": unseen}).json()["predictions"]
    battles, _ = read_battles(DATA / "autoj" / "testdata_pairwise.jsonl")
    expected = registry.load(model_dir).predict_proba(battles.iloc[1000:1012])
    got = np.array([[p["p_a"], p["p_b"], p["p_tie"]] for p in out])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert [p["id"] for p in out] == [b["id"] for b in unseen]
    single = client.post("/v1/predict", json=unseen[3]).json()
    assert single == out[3]


def test_reasons_explain_the_verdict(client: TestClient, unseen: list[dict]) -> None:
    for p in client.post("/v1/predict/batch", json={"battles": unseen}).json()["predictions"]:
        assert 1 <= len(p["reasons"]) <= 4
        assert {r["toward"] for r in p["reasons"]} == {p["winner"]}
        sizes = [abs(r["contribution"]) for r in p["reasons"]]
        assert sizes == sorted(sizes, reverse=True)
        for r in p["reasons"]:  # raw name kept; label and sentence beside it (none for the summed TF-IDF group)
            assert r["label"] == label_of(r["feature"]).label and label_of(r["feature"]).explicit
            if r["feature"] == TFIDF_GROUP:
                assert r["label"] == "wording (TF-IDF)" and r["sentence"] is None and r["value"] is None
            else:
                assert r["sentence"] == sentence(r["feature"], r["value"]) and r["sentence"]


def test_swap_mirrors_probabilities_and_winner(client: TestClient, unseen: list[dict]) -> None:
    swapped = [{**b, "response_a": b["response_b"], "response_b": b["response_a"]} for b in unseen]
    one, two = (
        client.post("/v1/predict/batch", json={"battles": bs}).json()["predictions"] for bs in (unseen, swapped)
    )
    p1, p2 = (np.array([[p["p_a"], p["p_b"], p["p_tie"]] for p in ps]) for ps in (one, two))
    np.testing.assert_allclose(p2, swap_proba(p1), rtol=0, atol=1e-9)
    mirror = {"A": "B", "B": "A", "tie": "tie"}
    assert [mirror[p["winner"]] for p in one] == [p["winner"] for p in two]
    assert {p["winner"] for p in one} - {"tie"}  # the model takes sides on some of them
