"""The OpenAI-compatible backend (OpenAI, vLLM, llama.cpp's server, TGI, `transformers serve`): chat completions
over httpx with a timeout, retries with exponential backoff on 429, 5xx, timeouts and dropped connections
(Retry-After honoured), and the verdict's log-probabilities read where the server returns them. The API key
comes only from an environment variable and goes only into the Authorization header."""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable
from typing import Any

from arenapref.judge.cache import Completion
from arenapref.judge.prompts import Messages
from arenapref.judge.verdict import LETTERS

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
TOP_LOGPROBS = 20  # OpenAI's maximum


class JudgeRequestError(Exception):
    """A request that failed for good (a non-retryable status, or retries exhausted); says why, never the key."""


class OpenAIBackend:
    """One chat completion per call of `complete` (thread-safe: one pooled httpx client)."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        max_tokens: int = 512,
        temperature: float = 0.0,
        logprobs: bool = True,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        concurrency: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_tokens, self.temperature, self.logprobs = max_tokens, temperature, logprobs
        self.max_retries, self.backoff, self.max_backoff = max_retries, backoff, max_backoff
        self.concurrency = concurrency
        self.retries = 0  # retried attempts so far (all requests)
        self._sleep = sleep
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env) if api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout), limits=limits)

    def settings(self) -> dict[str, Any]:
        """What, besides the model and the prompt, determines a response (part of the cache key)."""
        return {
            "base_url": self.base_url,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "logprobs": self.logprobs,
        }

    def payload(self, messages: Messages) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        if self.logprobs:
            body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
        return body

    def complete(self, messages: Messages) -> Completion:
        """POST one chat completion, retrying transient failures; JudgeRequestError when it cannot succeed."""
        import httpx

        url = f"{self.base_url}/chat/completions"
        last = ""
        for attempt in range(self.max_retries + 1):
            wait: float | None = None
            try:
                response = self._client.post(url, json=self.payload(messages))
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = f"{type(exc).__name__} ({exc})"
            else:
                if response.status_code == 200:
                    try:
                        return parse_completion(response.json())
                    except (ValueError, KeyError, IndexError, TypeError) as exc:
                        last = f"malformed response ({exc})"
                elif response.status_code in RETRY_STATUS:
                    last = f"HTTP {response.status_code}"
                    wait = retry_after(response.headers.get("retry-after"))
                else:
                    raise JudgeRequestError(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
            if attempt == self.max_retries:
                break
            self.retries += 1
            delay = min(self.max_backoff, self.backoff * 2**attempt) * (0.5 + random.random() / 2)
            self._sleep(max(delay, wait or 0.0))
        raise JudgeRequestError(f"{url}: gave up after {self.max_retries + 1} attempts: {last}")

    def close(self) -> None:
        self._client.close()


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (HTTP dates are ignored)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def parse_completion(body: dict[str, Any]) -> Completion:
    """Text and, where the server returned token log-probabilities, the verdict distribution."""
    choice = body["choices"][0]
    text = choice["message"]["content"] or ""
    if not isinstance(text, str):
        raise ValueError("message content is not text")
    tokens = ((choice.get("logprobs") or {}).get("content")) or []
    return Completion(text, verdict_from_logprobs(tokens))


def verdict_from_logprobs(tokens: list[dict[str, Any]]) -> tuple[float, float, float] | None:
    """(A, B, tie) probabilities at the last verdict letter that follows '[[' in the generated tokens, from that
    position's top log-probabilities; letters missing from the top list share the mass the list leaves out."""
    seen = ""
    found: dict[str, float] | None = None
    for token in tokens:
        piece = str(token.get("token", ""))
        if seen.rstrip().endswith("[[") and piece.strip() in LETTERS:
            found = {}
            for alt in token.get("top_logprobs") or [{"token": piece, "logprob": token.get("logprob", 0.0)}]:
                letter = str(alt.get("token", "")).strip()
                if letter in LETTERS:
                    found[letter] = max(found.get(letter, -math.inf), float(alt["logprob"]))
        seen += piece
    if not found:
        return None
    probs = {k: math.exp(v) for k, v in found.items()}
    missing = [k for k in LETTERS if k not in probs]
    rest = max(0.0, 1.0 - sum(probs.values()))
    for k in missing:
        probs[k] = max(rest / len(missing), 1e-6)
    total = sum(probs.values())
    a, b, c = (probs[k] / total for k in LETTERS)
    return (a, b, c)
