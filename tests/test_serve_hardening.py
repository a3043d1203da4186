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


# --- schemathesis: generated requests against the served OpenAPI schema ------------------------------------------

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

#: The body and text limits stay out of the generated requests' way (texts of up to 100,000 characters); the batch
#: limit is in the schema (maxItems), so schemathesis generates batches the server accepts and ones it must refuse.
FUZZ_LIMITS = ServeSettings(max_body_bytes=20_000_000, max_batch=4, max_chars=100_000)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", create_app(LengthModel(), FUZZ_LIMITS))


#: Checks that cannot hold for an operation, and why: any bytes are a schema-valid file, but only bytes in a format
#: arenapref reads are battles (the rest get 422 naming the reason), which JSON Schema cannot express; likewise
#: /get_reward's `prompts` and `labels` must be as long as `query` (else 422 naming the field).
EXCLUDED = {"POST /v1/predict/file": [positive_data_acceptance], "POST /get_reward": [positive_data_acceptance]}
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_conforms_to_its_schema(label: str) -> None:
    """Every default check (no 5xx, status codes, content types and bodies as documented, invalid input refused,
    valid input accepted) on generated requests to every operation: bounded (30 examples each, fixed seed)."""
    calls = []

    @given(OPERATIONS[label].as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def check(case: schemathesis.Case) -> None:
        calls.append(case.call_and_validate(excluded_checks=EXCLUDED.get(label, [])))

    check()
    assert calls


def test_the_app_serves_again_after_its_lifespan_ended_and_began_again() -> None:
    """Found by schemathesis (its ASGI transport runs the lifespan around each call): once the app had shut down,
    the next prediction waited forever on a batcher whose thread had stopped."""
    app = create_app(LengthModel(), LIMITS)
    body = {"prompt": "Hi", "response_a": "Hello there", "response_b": "Hey"}
    for _ in range(2):
        with TestClient(app) as client:  # startup, then shutdown on leaving
            assert client.post("/v1/predict", json=body).status_code == 200
