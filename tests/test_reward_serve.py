"""The reward endpoints on a live `arenapref serve` app on loopback: OpenRLHF's exact request and response shapes at
POST /get_reward (one sample per request at concurrency 32, empty lists, SmolLM2's chat template, missing fields),
and POST /v1/rank."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import arenapref
from arenapref.reward.model import RewardModel
from arenapref.serve.app import create_app
from arenapref.serve.settings import ServeSettings
from serve_support import LengthModel, serving, small_fast_model_dir

CHATML = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"
QUESTIONS = ["What is 2+2?", "Name a colour.", "Say hello.", "Why is the sky blue?"]
ANSWERS = ["4", "2+2 equals 4.", "Blue.", "Hello there!", "Because of Rayleigh scattering.", "idk", "Red.", "Hi."]
SETTINGS = ServeSettings(max_candidates=8, max_batch=64, baseline="I cannot say.")
EXTRA_LOGS = {"arenapref_p_win", "arenapref_p_tie", "arenapref_has_label"}


@pytest.fixture(scope="module")
def local() -> RewardModel:
    return arenapref.load(small_fast_model_dir(), baseline=SETTINGS.baseline)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serving(create_app(small_fast_model_dir(), SETTINGS)) as base:
        yield base


def _openrlhf_request(i: int) -> dict[str, Any]:
    """What OpenRLHF (0.9.1 on) sends: one sample, the query decoded with special tokens kept."""
    prompt = CHATML.format(q=QUESTIONS[i % len(QUESTIONS)])
    label = "" if i % 3 else ANSWERS[(i + 1) % len(ANSWERS)]
    return {"query": [prompt + ANSWERS[i % len(ANSWERS)] + "<|im_end|>"], "prompts": [prompt], "labels": [label]}


def _check_reply(reply: dict[str, Any], n: int) -> None:
    assert set(reply) == {"rewards", "scores", "extra_logs"} and set(reply["extra_logs"]) == EXTRA_LOGS
    assert len(reply["rewards"]) == len(reply["scores"]) == n
    assert all(len(v) == n for v in reply["extra_logs"].values())
    assert all(isinstance(r, float) and 0 <= r <= 1 for r in reply["rewards"])
    assert reply["scores"] == reply["rewards"]


def test_one_sample_per_request_at_concurrency_32(url: str, local: RewardModel) -> None:
    requests = [_openrlhf_request(i) for i in range(96)]
    with httpx.Client(base_url=url, timeout=180) as client, ThreadPoolExecutor(32) as pool:
        responses = list(pool.map(lambda body: client.post("/get_reward", json=body), requests))
    assert [r.status_code for r in responses] == [200] * len(requests)
    replies = [r.json() for r in responses]
    for reply in replies:
        _check_reply(reply, 1)
    expected = local.reward(
        [QUESTIONS[i % len(QUESTIONS)] for i in range(96)],
        [ANSWERS[i % len(ANSWERS)] for i in range(96)],
        [r["labels"][0] for r in requests],
    )
    got = np.array([reply["rewards"][0] for reply in replies])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)  # the same numbers as alone, batched or not
    has_label = [reply["extra_logs"]["arenapref_has_label"][0] for reply in replies]
    assert has_label == [0.0 if i % 3 else 1.0 for i in range(96)]


def test_a_batch_request_and_empty_lists(url: str) -> None:
    batch = [_openrlhf_request(i) for i in range(5)]
    body = {key: [b[key][0] for b in batch] for key in ("query", "prompts", "labels")}
    reply = httpx.post(f"{url}/get_reward", json=body).json()
    _check_reply(reply, 5)
    singles = [httpx.post(f"{url}/get_reward", json=b).json()["rewards"][0] for b in batch]
    np.testing.assert_allclose(reply["rewards"], singles, atol=1e-12)
    empty = httpx.post(f"{url}/get_reward", json={"query": [], "prompts": [], "labels": []})
    assert empty.status_code == 200
    assert empty.json() == {"rewards": [], "scores": [], "extra_logs": {name: [] for name in sorted(EXTRA_LOGS)}}
    assert httpx.post(f"{url}/get_reward", json={"query": []}).json()["rewards"] == []


def test_a_query_in_smollm2s_chat_template(url: str, local: RewardModel, smollm2_folder: Path) -> None:
    """The prompt through SmolLM2's own template, the sequence as OpenRLHF builds it (left padding, the response,
    EOS, right padding) decoded with special tokens kept."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smollm2_folder)
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert "<|im_start|>system" in prompt  # SmolLM2 adds its default system prompt
    response = "The capital of France is Paris."
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = (
        [pad] * 3
        + tokenizer(prompt, add_special_tokens=False)["input_ids"]
        + tokenizer(response, add_special_tokens=False)["input_ids"]
        + [tokenizer.eos_token_id]
        + [pad] * 2
    )
    query = tokenizer.decode(ids, skip_special_tokens=False)
    assert query.count("<|im_end|>") >= 4 or query.count(tokenizer.eos_token) >= 2
    reply = httpx.post(f"{url}/get_reward", json={"query": [query], "prompts": [prompt], "labels": [""]}).json()
    _check_reply(reply, 1)
    assert reply["rewards"][0] == pytest.approx(local.reward([messages], [response])[0], abs=1e-12)
    labelled = httpx.post(f"{url}/get_reward", json={"query": [query], "prompts": [prompt], "labels": ["Paris."]})
    assert labelled.json()["rewards"][0] == pytest.approx(local.reward([messages], [response], ["Paris."])[0])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompts": ["p"], "labels": [""]}, "body.query"),
        ({"query": "not a list"}, "body.query"),
        ({"query": ["q"], "prompts": ["p", "extra"]}, "body.prompts"),
        ({"query": ["q", "r"], "labels": [""]}, "body.labels"),
        ({"query": ["q"], "labels": [{"nested": 1}]}, "body.labels.0"),
        ({"query": [f"q{i}" for i in range(65)]}, "body.query"),
    ],
)
def test_missing_or_malformed_fields_are_422_not_500(url: str, body: dict[str, Any], field: str) -> None:
    response = httpx.post(f"{url}/get_reward", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"].startswith(field) for e in errors), errors
    assert set(response.json()) == {"detail", "errors"}


def test_rank_endpoint(url: str, local: RewardModel) -> None:
    candidates = ["Blue.", "Red, green or blue: any colour of the rainbow.", "Blue.", "idk"]
    reply = httpx.post(f"{url}/v1/rank", json={"id": "q1", "prompt": "Name a colour.", "candidates": candidates})
    assert reply.status_code == 200
    body = reply.json()
    assert body == {"id": "q1", **local.rank("Name a colour.", candidates).to_dict()}
    assert body["scores"][0] == body["scores"][2]
    chat = {
        "prompt": [{"role": "user", "content": "Name a colour."}],
        "candidates": [[{"role": "assistant", "content": c}] for c in candidates],
    }
    assert httpx.post(f"{url}/v1/rank", json=chat).json()["scores"] == body["scores"]
    assert httpx.post(f"{url}/v1/rank", json={"prompt": "Q", "candidates": []}).json()["best"] is None
    assert httpx.post(f"{url}/v1/rank", json={"prompt": "Q", "candidates": ["a"]}).json()["ranks"] == [1]
    over = httpx.post(f"{url}/v1/rank", json={"prompt": "Q", "candidates": ["a"] * 9})
    assert over.status_code == 422
    assert over.json()["errors"] == [{"field": "body.candidates", "message": "9 candidates; the limit is 8 per call"}]
    bad_role = httpx.post(f"{url}/v1/rank", json={"prompt": [{"role": "robot", "content": "x"}], "candidates": []})
    assert bad_role.status_code == 422 and "body.prompt" in bad_role.json()["detail"]


def test_both_endpoints_are_in_the_schema_with_their_limits(url: str) -> None:
    schema = httpx.get(f"{url}/openapi.json").json()
    for path in ("/v1/rank", "/get_reward"):
        assert set(schema["paths"][path]["post"]["responses"]) == {"200", "413", "422", "500"}
    components = schema["components"]["schemas"]
    assert components["RankIn"]["properties"]["candidates"]["maxItems"] == 8
    assert components["RewardRequest"]["properties"]["query"]["maxItems"] == 64
    assert {"maxItems": 64}.items() <= components["RewardRequest"]["properties"]["labels"]["anyOf"][0].items()
    assert "100,000 characters" in components["RewardRequest"]["description"]
    assert httpx.get(f"{url}/v1/model").json()["limits"]["max_candidates"] == 8


def test_a_failing_model_is_a_plain_500_on_both_endpoints() -> None:
    app = create_app(LengthModel(fail_on="boom"), ServeSettings())
    with serving(app) as base:
        ranked = httpx.post(f"{base}/v1/rank", json={"prompt": "boom", "candidates": ["a", "b"]})
        reward = httpx.post(f"{base}/get_reward", json={"query": ["boom the answer"], "prompts": ["boom"]})
        fine = httpx.post(f"{base}/get_reward", json={"query": ["fine, a much longer answer"], "prompts": ["fine"]})
    for response in (ranked, reward):
        assert response.status_code == 500 and response.json() == {
            "detail": "internal error: the model could not score this request"
        }
    assert fine.status_code == 200 and fine.json()["rewards"][0] > 0.5  # longer than the baseline


def test_the_schemas_roles_are_the_ones_reward_reads() -> None:
    from typing import get_args

    from arenapref.reward.inputs import ROLES
    from arenapref.serve.reward_schemas import Role

    assert sorted(get_args(Role)) == sorted(ROLES)
