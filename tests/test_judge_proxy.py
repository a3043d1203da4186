"""The judge's deadline transport goes through the HTTP proxy the environment names (NO_PROXY honoured): the
fake server stands in for the proxy of a host that does not exist."""

from __future__ import annotations

import pytest

from arenapref.judge.openai_backend import OpenAIBackend
from arenapref.judge.transport import environment_proxy
from judge_support import Script, fault_server

MESSAGES = [{"role": "user", "content": "Which is better? [[A]] or [[B]]"}]


@pytest.mark.timeout(60)
def test_requests_go_through_the_environments_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script()
    with fault_server(script) as url:
        proxy = url.removesuffix("/v1")
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, proxy)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        backend = OpenAIBackend("http://judge.invalid/v1", "m", max_retries=0, timeout=10)
        completion = backend.complete(MESSAGES)
    assert "[[" in completion.text and len(script.received) == 1


def test_no_proxy_and_unsupported_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert environment_proxy("http://judge.example/v1") == "http://proxy.example:3128"
    assert environment_proxy("http://127.0.0.1:8000/v1") is None
    monkeypatch.setenv("HTTP_PROXY", "socks5://proxy.example:1080")
    with pytest.raises(ValueError, match="only http"):
        environment_proxy("http://judge.example/v1")
