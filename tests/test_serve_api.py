"""The prediction service through FastAPI's test client: every endpoint and every error response."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from arenapref.data.io import read_battles
from arenapref.models.base import ModelDirError, Reason
from arenapref.models.baselines import PriorModel
from arenapref.serve.app import create_app
from arenapref.serve.settings import ServeSettings
from serve_support import LengthModel

DATA = Path(__file__).parents[1].parent / "shared" / "data"
LIMITS = ServeSettings(max_body_bytes=20_000, max_batch=4, max_chars=1_000, reasons_top=3)
SHORT_LONG = {"prompt": "Name a colour.", "response_a": "Red.", "response_b": "Blue, the colour of a clear sky."}


@pytest.fixture
def model() -> LengthModel:
    return LengthModel()


@pytest.fixture
def client(model: LengthModel) -> TestClient:
    return TestClient(create_app(model, LIMITS), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def prior_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    battles, _ = read_battles(DATA / "autoj" / "testdata_pairwise.jsonl")
    return PriorModel().fit(battles).save(tmp_path_factory.mktemp("prior") / "model")


def assert_error(response, status: int, field: str | None = None, text: str = "") -> dict:
    """An error response: the status, the JSON shape, the field named, and never a stack trace."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["detail"], str) and text in body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    if field is not None:
        assert field in [e["field"] for e in body["errors"]]
        assert body["detail"].startswith(f"{field}: ") or f"; {field}: " in body["detail"]
    return body


# --- endpoints ---------------------------------------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "model": "test-length"}


def test_model_metadata_from_directory(prior_dir: Path) -> None:
    info = TestClient(create_app(prior_dir, LIMITS)).get("/v1/model").json()
    assert info["name"] == "prior" and info["directory"] == prior_dir.name
    assert info["explains"] is False
    assert info["metadata"]["model"] == "prior" and "state" not in info["metadata"]
    assert info["limits"] == {"max_body_bytes": 20_000, "max_batch": 4, "max_chars": 1_000, "max_candidates": 32}


def test_predict_returns_probabilities_winner_and_reasons(client: TestClient, model: LengthModel) -> None:
    out = client.post("/v1/predict", json=SHORT_LONG).json()
    expected = model.predict_proba(_table(SHORT_LONG))[0]
    assert [out["p_a"], out["p_b"], out["p_tie"]] == pytest.approx(expected.tolist())
    assert out["winner"] == "B" and out["p_b"] > out["p_a"]
    assert out["id"] == "battle-0"
    [reason] = out["reasons"]
    assert reason["feature"] == "length_difference" and reason["toward"] == "B" and reason["value"] < 0
    # a name the label registry does not know: the marked fallback label, no sentence
    assert reason["label"] == "length difference (unlabelled feature)" and reason["sentence"] is None


def test_predict_accepts_lists_of_turns_and_null_turns(client: TestClient) -> None:
    body = {"id": "t-1", "prompt": ["Hi", "And?"], "response_a": ["Hello", None], "response_b": ["Hey", "More text"]}
    out = client.post("/v1/predict", json=body).json()
    assert out["id"] == "t-1" and out["winner"] == "B"
    assert out["p_a"] + out["p_b"] + out["p_tie"] == pytest.approx(1.0)


def test_swapped_battle_gives_mirrored_verdict(client: TestClient) -> None:
    swapped = {**SHORT_LONG, "response_a": SHORT_LONG["response_b"], "response_b": SHORT_LONG["response_a"]}
    one, two = (client.post("/v1/predict", json=b).json() for b in (SHORT_LONG, swapped))
    assert (two["p_a"], two["p_b"], two["p_tie"]) == pytest.approx((one["p_b"], one["p_a"], one["p_tie"]))
    assert (one["winner"], two["winner"]) == ("B", "A")


def test_reasons_can_be_turned_off(client: TestClient) -> None:
    assert client.post("/v1/predict?reasons=false", json=SHORT_LONG).json()["reasons"] is None


def test_model_without_reasons_and_equal_sides(prior_dir: Path) -> None:
    out = TestClient(create_app(prior_dir, LIMITS)).post("/v1/predict", json=SHORT_LONG).json()
    assert out["reasons"] is None
    assert out["p_a"] == out["p_b"] and out["winner"] == "tie"  # A and B equally likely: no side preferred


def test_batch_is_one_vectorised_call_matching_single_predictions(client: TestClient, model: LengthModel) -> None:
    battles = [
        {"id": f"b{i}", "prompt": "Explain.", "response_a": "x" * (10 + 7 * i), "response_b": "y" * (40 - 5 * i)}
        for i in range(4)
    ]
    calls = model.calls
    out = client.post("/v1/predict/batch", json={"battles": battles}).json()["predictions"]
    assert model.calls == calls + 1
    assert [p["id"] for p in out] == ["b0", "b1", "b2", "b3"]
    singles = [client.post("/v1/predict", json=b).json() for b in battles]
    for got, single in zip(out, singles, strict=True):
        assert got == single
    assert {p["winner"] for p in out} == {"A", "B"}


def test_web_page_and_its_assets_are_local(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for element in ('id="prompt"', 'id="response-a"', 'id="response-b"', 'id="predict"', 'id="swap"', 'id="p-tie"'):
        assert element in page.text
    texts = [page.text]
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        got = client.get(asset)
        assert got.status_code == 200, asset
        texts.append(got.text)
    assert len(texts) == 3  # app.js and style.css
    assert not any(re.search(r"https?://", t) for t in texts)


def test_openapi_docs_are_served_without_external_network(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/v1/predict", "/v1/predict/batch", "/v1/model", "/healthz"} <= set(schema["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', docs.text)
    assert assets and all(a.startswith("/") for a in assets)
    assert all(client.get(a).status_code == 200 for a in assets)


# --- errors ------------------------------------------------------------------------------------------------------


def test_body_over_cap_by_content_length_is_413(client: TestClient) -> None:
    big = {**SHORT_LONG, "response_a": "x" * 30_000}
    assert_error(client.post("/v1/predict", json=big), 413, text="20000 bytes")


def test_streamed_body_over_cap_is_413(client: TestClient) -> None:
    chunks = (b'{"prompt": "' + b"x" * 5_000 for _ in range(6))  # chunked: no Content-Length header
    response = client.post("/v1/predict", content=chunks, headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_error(response, 413, text="larger than the limit")


def test_streamed_body_under_cap_is_served(client: TestClient) -> None:
    data = json.dumps(SHORT_LONG).encode()
    chunks = (data[i : i + 7] for i in range(0, len(data), 7))
    response = client.post("/v1/predict", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["winner"] == "B"


def test_batch_over_cap_is_422(client: TestClient) -> None:
    body = {"battles": [SHORT_LONG] * 5}
    assert_error(client.post("/v1/predict/batch", json=body), 422, "body.battles", "the limit is 4")


def test_empty_batch_is_422(client: TestClient) -> None:
    assert_error(client.post("/v1/predict/batch", json={"battles": []}), 422, "body.battles")


def test_text_over_cap_is_422_naming_the_field(client: TestClient) -> None:
    long = {**SHORT_LONG, "response_b": ["y" * 600, "z" * 600]}
    assert_error(client.post("/v1/predict", json=long), 422, "body.response_b", "1200 characters; the limit is 1000")
    batch = {"battles": [SHORT_LONG, {**SHORT_LONG, "prompt": "p" * 1001}]}
    assert_error(client.post("/v1/predict/batch", json=batch), 422, "body.battles.1.prompt")


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/v1/predict", content=b'{"prompt": "a",', headers={"content-type": "application/json"})
    assert_error(response, 422, "body", "malformed JSON")


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({**SHORT_LONG, "response_a": 3}, "body.response_a", "string or a list of turns"),
        ({**SHORT_LONG, "response_b": ["fine", 7]}, "body.response_b.1", "valid string"),
        ({**SHORT_LONG, "prompt": []}, "body.prompt", "at least 1"),
        ({"prompt": "p", "response_a": "a"}, "body.response_b", "Field required"),
        ({**SHORT_LONG, "response_c": "?"}, "body.response_c", "Extra inputs"),
        ([SHORT_LONG], "body", "valid dictionary"),
    ],
)
def test_wrong_types_are_422_naming_the_field(client: TestClient, body: object, field: str, text: str) -> None:
    assert_error(client.post("/v1/predict", json=body), 422, field, text)


def test_validation_errors_do_not_echo_the_input(client: TestClient) -> None:
    response = client.post("/v1/predict", json={**SHORT_LONG, "response_a": {"token": "hunter2"}})
    assert_error(response, 422, "body.response_a")
    assert "hunter2" not in response.text


def test_wrong_type_inside_a_batch_names_the_battle(client: TestClient) -> None:
    body = {"battles": [SHORT_LONG, {**SHORT_LONG, "response_a": None}]}
    assert_error(client.post("/v1/predict/batch", json=body), 422, "body.battles.1.response_a")


def test_model_failure_is_a_plain_500(model: LengthModel) -> None:
    client = TestClient(create_app(LengthModel(fail_on="boom"), LIMITS), raise_server_exceptions=False)
    response = client.post("/v1/predict", json={**SHORT_LONG, "prompt": "boom"})
    assert_error(response, 500, text="internal error")
    assert "secret" not in response.text and "RuntimeError" not in response.text


def test_unusable_probabilities_are_a_500() -> None:
    class NanModel(LengthModel):
        def predict_proba(self, battles):  # type: ignore[no-untyped-def]
            p = super().predict_proba(battles)
            return np.full_like(p, np.nan) if (battles["prompt"].str[0] == "nan").any() else p

    client = TestClient(create_app(NanModel(), LIMITS), raise_server_exceptions=False)
    assert_error(client.post("/v1/predict", json={**SHORT_LONG, "prompt": "nan"}), 500, text="internal error")


def test_unexpected_error_is_a_plain_500() -> None:
    class BadReasons(LengthModel):
        def explain(self, battles, top=5):  # type: ignore[no-untyped-def]
            reasons = super().explain(battles, top)
            if (battles["prompt"].str[0] == "odd").any():
                return [[Reason("x", 0.0, 1.0, "sideways")] for _ in range(len(battles))]
            return reasons

    client = TestClient(create_app(BadReasons(), LIMITS), raise_server_exceptions=False)
    response = client.post("/v1/predict", json={**SHORT_LONG, "prompt": "odd"})
    assert_error(response, 500, text="internal error")
    assert "sideways" not in response.text and "validation" not in response.text.lower()


def test_unknown_path_and_wrong_method(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing"), 404)
    assert_error(client.get("/v1/predict"), 405)


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.post("/v1/predict", json=SHORT_LONG, headers={"Origin": "http://elsewhere.example"})
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/predict", headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_configured_origins_only() -> None:
    settings = LIMITS.model_copy(update={"cors_origins": ("http://tool.example",)})
    client = TestClient(create_app(LengthModel(), settings))
    ok = client.post("/v1/predict", json=SHORT_LONG, headers={"Origin": "http://tool.example"})
    assert ok.headers["access-control-allow-origin"] == "http://tool.example"
    other = client.post("/v1/predict", json=SHORT_LONG, headers={"Origin": "http://other.example"})
    assert "access-control-allow-origin" not in other.headers


# --- start-up checks ---------------------------------------------------------------------------------------------


def test_missing_model_directory_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ModelDirError, match=r"model\.json missing"):
        create_app(tmp_path)


def test_broken_model_directories_stop_start_up(tmp_path: Path, prior_dir: Path) -> None:
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "model.json").write_text(
        json.dumps({"model": "no-such-model", "arenapref_version": "0.1.0", "state": {}})
    )
    with pytest.raises(ModelDirError, match="unknown model type 'no-such-model'"):
        create_app(unknown)
    broken = tmp_path / "broken"
    broken.mkdir()
    meta = json.loads((prior_dir / "model.json").read_text())
    (broken / "model.json").write_text(json.dumps({**meta, "state": {}}))
    with pytest.raises(ModelDirError, match="cannot load model"):
        create_app(broken)
    garbled = tmp_path / "garbled"
    garbled.mkdir()
    (garbled / "model.json").write_text("{not json")
    with pytest.raises(ModelDirError, match="unreadable model metadata"):
        create_app(garbled)


def test_model_that_cannot_predict_stops_start_up() -> None:
    with pytest.raises(ModelDirError, match="failed its start-up prediction"):
        create_app(LengthModel(fail_on="Say hello."))


def _table(body: dict):  # type: ignore[no-untyped-def]
    from arenapref.serve.schemas import BattleIn
    from arenapref.serve.service import battle_table

    return battle_table([BattleIn.model_validate(body)])
