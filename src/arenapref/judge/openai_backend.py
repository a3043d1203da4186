"""The OpenAI-compatible backend (OpenAI, vLLM, llama.cpp's server, TGI, `transformers serve`): chat completions
over httpx, each attempt bounded by a whole-request deadline and its body by a byte limit; retries with exponential
backoff on 429, 5xx, timeouts and dropped connections (Retry-After honoured up to the backoff cap, every wait
counted); and the verdict's log-probabilities read where the server returns them, malformed ones counted and set
aside while the verdict text is kept. The API key comes only from an environment variable and goes only into the
Authorization header."""

from __future__ import annotations

import email.utils
import json
import math
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from arenapref.data.errors import one_line as single_line
from arenapref.judge.cache import Completion
from arenapref.judge.defaults import MAX_RESPONSE_BYTES
from arenapref.judge.prompts import Messages
from arenapref.judge.verdict import LETTERS

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
TOP_LOGPROBS = 20  # OpenAI's maximum
LOGPROB_SLACK = 1e-3  # log-probabilities up to this far above 0 are rounding (read as 0); beyond, malformed
ERROR_CHARS = 200  # an error answer's body is shown on one line, cut to this many characters


class JudgeRequestError(Exception):
    """A request that failed for good (a non-retryable status, or retries exhausted); says why, never the key."""


class _Retry(Exception):
    """One failed attempt worth retrying; `wait`: the seconds the server asked for (Retry-After), if any."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


def check_base_url(url: str) -> str:
    """`url` when it is an absolute http(s) URL with a host; ValueError naming --base-url otherwise."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"--base-url {url!r} is not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"--base-url {url!r} must start with http:// or https://, e.g. http://127.0.0.1:8000/v1")
    return url


class OpenAIBackend:
    """One chat completion per call of `complete` (thread-safe: one pooled httpx client). `timeout` bounds each
    attempt from connecting to the body's last byte; `max_response_bytes` bounds what is read of an answer."""

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
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        from arenapref.judge.transport import deadline_transport

        self.base_url = check_base_url(base_url).rstrip("/")
        self.model = model
        self.max_tokens, self.temperature, self.logprobs = max_tokens, temperature, logprobs
        self.max_retries, self.backoff, self.max_backoff = max_retries, backoff, max_backoff
        self.timeout, self.max_response_bytes = timeout, max_response_bytes
        self.concurrency = concurrency
        self.retries = 0  # retried attempts so far (all requests)
        self.waited = 0.0  # seconds slept before those retries
        self._sleep = sleep
        self._lock = threading.Lock()
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env) if api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        transport = deadline_transport(limits, self.base_url)
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout), transport=transport)

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
        url = f"{self.base_url}/chat/completions"
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                return self._attempt(url, self.payload(messages))
            except _Retry as exc:
                last = str(exc)
                if attempt < self.max_retries:
                    self._pause(attempt, exc.wait)
        raise JudgeRequestError(f"{url}: gave up after {self.max_retries + 1} attempts: {one_line(last)}")

    def _attempt(self, url: str, payload: dict[str, Any]) -> Completion:
        """One POST within the deadline: the completion, _Retry for a transient failure, JudgeRequestError else."""
        import httpx

        from arenapref.judge.transport import ERROR_BODY_BYTES, ResponseTooLarge, deadline, read_capped

        try:
            with deadline(self.timeout), self._client.stream("POST", url, json=payload) as response:
                status = response.status_code
                ok = status == 200
                raw = read_capped(response, self.max_response_bytes if ok else ERROR_BODY_BYTES, cut=not ok)
                wait = retry_after(response.headers.get("retry-after"))
        except ResponseTooLarge as exc:
            raise JudgeRequestError(f"{url}: {exc} (--max-response-bytes)") from None
        except httpx.UnsupportedProtocol as exc:
            raise JudgeRequestError(f"{url}: {one_line(str(exc))}") from None
        except httpx.TimeoutException as exc:
            raise _Retry(f"{type(exc).__name__}: no complete answer within {self.timeout:g} s (--timeout)") from None
        except httpx.RequestError as exc:  # refused or dropped connections, undecodable bodies
            raise _Retry(f"{type(exc).__name__} ({one_line(str(exc))})") from None
        if ok:
            try:
                return parse_completion(decode_json(raw))
            except ValueError as exc:
                raise _Retry(f"malformed response ({one_line(str(exc))})") from None
        if status in RETRY_STATUS:
            raise _Retry(f"HTTP {status}", wait)
        text = one_line(raw.decode("utf-8", errors="replace")) or "(no body)"
        raise JudgeRequestError(f"{url}: HTTP {status}: {text}")

    def _pause(self, attempt: int, asked: float | None) -> None:
        """Sleep before retry `attempt` + 1: exponential backoff with jitter, or what the server asked for if
        longer, never past the backoff cap; the wait is counted."""
        delay = min(self.max_backoff, self.backoff * 2.0 ** min(attempt, 64)) * (0.5 + random.random() / 2)
        wait = min(self.max_backoff, max(delay, asked or 0.0))
        with self._lock:
            self.retries += 1
            self.waited += wait
        self._sleep(wait)

    def close(self) -> None:
        self._client.close()


def one_line(text: str, limit: int = ERROR_CHARS) -> str:
    """`text` as one line (data.errors.one_line: escape sequences removed, whitespace collapsed), cut to `limit`."""
    return single_line(text, limit)


def retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (delay-seconds or an HTTP date; huge values stay huge, the caller
    caps them); None when absent or unreadable."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return None if math.isnan(seconds) else max(0.0, seconds)


def decode_json(raw: bytes) -> Any:
    """The JSON document in `raw`; ValueError when it is not one (too deeply nested included)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def parse_completion(body: Any) -> Completion:
    """Text and, where the server returned token log-probabilities, the verdict distribution. ValueError when the
    text is missing; malformed log-probabilities only set the distribution aside (the Completion says why)."""
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"no choices[0].message.content ({type(exc).__name__}: {exc})") from None
    if not isinstance(text, str | None):
        raise ValueError("message content is not text")
    try:
        return Completion(text or "", verdict_from_logprobs(logprob_tokens(choice)))
    except ValueError as exc:
        return Completion(text or "", None, malformed=f"log-probabilities: {exc}")


def logprob_tokens(choice: dict[str, Any]) -> list[Any]:
    """The generated tokens' log-probability records ([] when the server sent none); ValueError when the field
    is not OpenAI's shape ({"content": [...]})."""
    block = choice.get("logprobs")
    if block is None:
        return []
    if not isinstance(block, dict):
        raise ValueError(f"'logprobs' is {type(block).__name__}, not an object")
    tokens = block.get("content")
    if tokens is None:
        return []
    if not isinstance(tokens, list):
        raise ValueError(f"'logprobs.content' is {type(tokens).__name__}, not a list")
    return tokens


def verdict_from_logprobs(tokens: list[Any]) -> tuple[float, float, float] | None:
    """(A, B, tie) probabilities at the last verdict letter that follows '[[' in the generated tokens, from that
    position's top log-probabilities; letters missing from the top list share the mass the list leaves out.
    ValueError when a token is malformed (not an object, a token that is not text, a log-probability that is not a
    number <= 0: NaN, +inf, 1000...)."""
    tail = ""  # the last two characters of the text so far, trailing whitespace dropped
    found: dict[str, float] | None = None
    for i, token in enumerate(tokens):
        if not isinstance(token, dict):
            raise ValueError(f"token {i} is {type(token).__name__}, not an object")
        piece = _token_text(token, i)
        own = _logprob(token.get("logprob", 0.0), i)
        alternatives = _alternatives(token, i)
        if tail.endswith("[[") and piece.strip() in LETTERS:
            found = {}
            for letter, logprob in alternatives or [(piece.strip(), own)]:
                if letter in LETTERS:
                    found[letter] = max(found.get(letter, -math.inf), logprob)
        tail = (tail + piece).rstrip()[-2:]
    return None if not found else _distribution(found)


def _token_text(token: dict[str, Any], i: int) -> str:
    piece = token.get("token", "")
    if not isinstance(piece, str):
        raise ValueError(f"token {i}'s text is {type(piece).__name__}, not a string")
    return piece


def _logprob(value: Any, i: int) -> float:
    """A log-probability as a float <= 0 (-inf allowed: probability 0); ValueError naming token `i` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or value > LOGPROB_SLACK:
        raise ValueError(f"token {i} has log-probability {value!r}, not a number <= 0")
    return min(float(value), 0.0)


def _alternatives(token: dict[str, Any], i: int) -> list[tuple[str, float]]:
    """The token's top log-probabilities as (stripped text, log-probability); ValueError when malformed."""
    top = token.get("top_logprobs") or []
    if not isinstance(top, list):
        raise ValueError(f"token {i}'s top_logprobs is {type(top).__name__}, not a list")
    out = []
    for alt in top:
        if not isinstance(alt, dict) or "logprob" not in alt:
            raise ValueError(f"token {i} has a top_logprobs entry without a log-probability")
        out.append((_token_text(alt, i).strip(), _logprob(alt["logprob"], i)))
    return out


def _distribution(found: dict[str, float]) -> tuple[float, float, float]:
    """Normalised (A, B, tie) from the letters' log-probabilities; ValueError when they leave no mass at all."""
    probs = {k: math.exp(v) for k, v in found.items()}
    missing = [k for k in LETTERS if k not in probs]
    rest = max(0.0, 1.0 - sum(probs.values()))
    for k in missing:
        probs[k] = max(rest / len(missing), 1e-6)
    total = sum(probs.values())
    if not total > 0:
        raise ValueError("every verdict letter has probability 0")
    a, b, c = (probs[k] / total for k in LETTERS)
    return (a, b, c)
