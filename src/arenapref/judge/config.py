"""A judge's settings as one serialisable record, and building its backend, template and cache from them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from arenapref.judge.cache import ResponseCache
from arenapref.judge.defaults import MAX_RESPONSE_BYTES
from arenapref.judge.openai_backend import check_base_url
from arenapref.judge.prompts import load_template
from arenapref.judge.run import Backend, Judge
from arenapref.judge.verdict import VOTE_SMOOTHING

BACKENDS = ("openai", "local")
CACHE_FILE = "judge-responses.sqlite"


@dataclass
class JudgeConfig:
    """`model`: the served model name (openai) or a checkpoint folder / GGUF file (local; None: the bundled
    SmolLM2-135M-Instruct). `max_tokens`: the judgement's length (local: explanation tokens before the verdict is
    read). `template`: a prompt file (None: MT-bench's pair-v2). `cache_dir`: where responses are kept (None: not
    kept between runs)."""

    backend: str = "local"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    template: str | None = None
    max_tokens: int = 32
    max_chars: int | None = 6000
    logprobs: bool = True
    concurrency: int = 4
    timeout: float = 120.0
    max_retries: int = 5
    max_response_bytes: int = MAX_RESPONSE_BYTES
    smoothing: float = VOTE_SMOOTHING
    cache_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check(self) -> None:
        """ValueError naming the option when the settings cannot work (one line)."""
        if self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.backend == "openai":
            if not (self.base_url and self.model):
                raise ValueError("--backend openai needs --base-url and --model")
            check_base_url(self.base_url)
        for option, value, least, strict in self._bounds():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{option} must be a finite number, not {value!r}")
            if value < least or (strict and value == least):
                raise ValueError(f"{option} must be {'>' if strict else '>='} {least}, not {value!r}")

    def _bounds(self) -> list[tuple[str, Any, int, bool]]:
        """(option, value, bound, strict) of each numeric setting: value >= bound, or > bound when strict."""
        bounds: list[tuple[str, Any, int, bool]] = [
            ("--max-tokens", self.max_tokens, 1 if self.backend == "openai" else 0, False),
            ("--concurrency", self.concurrency, 1, False),
            ("--retries", self.max_retries, 0, False),
            ("--timeout", self.timeout, 0, True),
            ("--max-response-bytes", self.max_response_bytes, 1, False),
            ("smoothing", self.smoothing, 0, True),
        ]
        if self.max_chars is not None:
            bounds.append(("--max-chars", self.max_chars, 1, False))
        return bounds


def make_backend(config: JudgeConfig) -> Backend:
    config.check()
    if config.backend == "openai":
        from arenapref.judge.openai_backend import OpenAIBackend

        assert config.base_url and config.model
        return OpenAIBackend(
            config.base_url,
            config.model,
            api_key_env=config.api_key_env,
            max_tokens=config.max_tokens,
            logprobs=config.logprobs,
            timeout=config.timeout,
            max_retries=config.max_retries,
            concurrency=config.concurrency,
            max_response_bytes=config.max_response_bytes,
        )
    from arenapref.judge.local_backend import LocalBackend

    if config.model is None:
        from arenapref.weights.locations import bundled_smollm2

        config.model = str(bundled_smollm2())
    return LocalBackend(config.model, max_new_tokens=config.max_tokens)


def make_judge(config: JudgeConfig) -> Judge:
    cache = ResponseCache(Path(config.cache_dir) / CACHE_FILE if config.cache_dir else None)
    return Judge(make_backend(config), load_template(config.template), cache, config.max_chars, config.smoothing)
