"""HTTP plumbing for the judge's client: a whole-request deadline and bounded response bodies.

httpx's timeouts bound each network operation, not a request: a server trickling one byte at a time keeps a
request alive for ever (encode/httpx#1450). The deadline here is enforced at the socket, through httpcore's
network-backend interface: every connect, read and write of the thread's current request waits at most until its
deadline, so the status line, the headers and the body all count."""

from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

ERROR_BODY_BYTES = 4096  # the most read of an error answer's body (it is only shown)

_current = threading.local()  # .deadline: time.monotonic() by which the thread's request must be over, or None


class ResponseTooLarge(Exception):
    """A response body larger than the limit (reading stopped there)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every network operation of this thread in the block ends by `seconds` from now (httpx timeouts raised)."""
    _current.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _current.deadline = None


def _budget(timeout: float | None, late: type[Exception]) -> float | None:
    """The operation's timeout, shortened to what is left of the thread's deadline; `late` when nothing is left."""
    at = getattr(_current, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise late("the request's deadline (--timeout) passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes stop at the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        budget = _budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, budget))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's synchronous sockets, each stream bounded by the deadline of the thread using it."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        budget = _budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_tcp(host, port, budget, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        budget = _budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, budget, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport(limits: httpx.Limits, url: str) -> httpx.HTTPTransport:
    """httpx's transport over a connection pool whose sockets honour `deadline`, through the HTTP(S) proxy the
    environment names for `url` (HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, NO_PROXY honoured), else direct."""
    transport = httpx.HTTPTransport(limits=limits)
    pool_options: dict[str, Any] = {
        "ssl_context": httpx.create_ssl_context(),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
        "network_backend": _DeadlineBackend(),
    }
    proxy = environment_proxy(url)
    # httpx has no parameter for the network backend; its pool is httpcore's, built again here with one.
    transport._pool = (
        httpcore.HTTPProxy(proxy_url=proxy, **pool_options) if proxy else httpcore.ConnectionPool(**pool_options)
    )
    return transport


def environment_proxy(url: str) -> str | None:
    """The proxy URL the environment sets for `url` (None: connect directly); ValueError for a proxy scheme other
    than http(s) (SOCKS needs a package arenapref does not install)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname and urllib.request.proxy_bypass(parsed.hostname):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme) or proxies.get("all")
    if proxy and urllib.parse.urlsplit(proxy).scheme not in ("http", "https"):
        raise ValueError(f"proxy {proxy!r} from the environment: only http(s) proxies are supported")
    return proxy or None


def read_capped(response: httpx.Response, limit: int, *, cut: bool = False) -> bytes:
    """The response's (decoded) body, read as it streams in. Past `limit` bytes: ResponseTooLarge as soon as the
    declared length or the bytes read pass it, or with `cut`, the first `limit` bytes (reading stops there)."""
    declared = response.headers.get("content-length", "")
    if not cut and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"response of {int(declared):,} bytes, over the {limit:,}-byte limit")
    parts: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            if cut:
                break
            raise ResponseTooLarge(f"response over the {limit:,}-byte limit (reading stopped there)")
    return b"".join(parts)[:limit]
