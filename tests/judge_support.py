"""A fault-injecting OpenAI-compatible server on loopback for the judge client's failure paths (the happy path is
tested against the real `transformers serve`). Each POST /v1/chat/completions takes the next action of a script
(then `default`): 'ok' answers with a verdict chosen from the prompt; an HTTP status ('429', '500', '400'...)
fails with it (429 with Retry-After: 0); 'slow' sleeps past the client's timeout before answering; 'garbage'
answers without a verdict. A `Reply` action answers exactly as it says: any status, headers and body, the body
trickled byte by byte (the headers too if asked), or a filler body of a given size sent in chunks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from arenapref.data.schema import conform


@dataclass
class Reply:
    """A raw answer. `body`: bytes, or JSON-encoded when not bytes. `trickle` > 0: the body (and, with
    `trickle_headers`, the status line and headers) sent one byte every `trickle` seconds. `size` > 0: that many
    filler bytes instead of `body`, in 1 MiB chunks (`length=False`: no Content-Length, the end marked by closing)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0
    trickle_headers: bool = False
    size: int = 0
    length: bool = True

    def raw_body(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


Action = str | Reply


@dataclass
class Script:
    actions: list[Action] = field(default_factory=list)
    default: Action = "ok"
    slow_seconds: float = 2.0
    delay: float = 0.0  # every answer waits this long (to kill a client mid-run)
    logprobs: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_action(self) -> Action:
        with self.lock:
            return self.actions.pop(0) if self.actions else self.default


def verdict_for(body: dict[str, Any]) -> str:
    """A deterministic, position-consistent verdict: the answer containing 'good' wins, else a tie."""
    text = body["messages"][-1]["content"]
    a = text.split("[The Start of Assistant A's Answer]")[-1].split("[The End of Assistant A's Answer]")[0]
    b = text.split("[The Start of Assistant B's Answer]")[-1].split("[The End of Assistant B's Answer]")[0]
    if "good" in a and "good" not in b:
        return "A"
    if "good" in b and "good" not in a:
        return "B"
    return "C"


def completion(text: str, letter: str | None, logprobs: bool) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
    if logprobs and letter:
        others = [x for x in "ABC" if x != letter]
        tokens = [
            {"token": "Verdict: ", "logprob": -0.1, "top_logprobs": []},
            {"token": "[[", "logprob": -0.01, "top_logprobs": []},
            {
                "token": letter,
                "logprob": -0.2,
                "top_logprobs": [
                    {"token": letter, "logprob": -0.2},
                    {"token": others[0], "logprob": -2.0},
                    {"token": " " + others[1], "logprob": -3.0},
                ],
            },
            {"token": "]]", "logprob": -0.01, "top_logprobs": []},
        ]
        choice["logprobs"] = {"content": tokens}
    return {"id": "x", "object": "chat.completion", "choices": [choice]}


def answer(content: Any, logprobs: Any = None, *, with_logprobs: bool = True) -> dict[str, Any]:
    """A chat completion whose message content and `logprobs` field are exactly as given (malformed ones too)."""
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
    if with_logprobs:
        choice["logprobs"] = logprobs
    return {"id": "x", "object": "chat.completion", "choices": [choice]}


def send_reply(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Write `reply` on the handler's socket, slowly or in bulk as it asks; a client hanging up ends it quietly."""
    body = reply.raw_body()
    head = [f"HTTP/1.0 {reply.status} X", "Content-Type: application/json"]
    if reply.length:
        head.append(f"Content-Length: {reply.size or len(body)}")
    head += [f"{k}: {v}" for k, v in reply.headers.items()]
    raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
    out = handler.wfile
    with suppress(BrokenPipeError, ConnectionResetError):
        for part, slow in ((raw_head, reply.trickle_headers), (body, not reply.size)):
            if reply.trickle and slow:
                for i in range(len(part)):
                    out.write(part[i : i + 1])
                    out.flush()
                    time.sleep(reply.trickle)
            elif part is body and reply.size:
                chunk = b" " * (1 << 20)
                for start in range(0, reply.size, len(chunk)):
                    out.write(chunk[: reply.size - start])
            else:
                out.write(part)
        out.flush()


def make_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(raw)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with script.lock:
                script.received.append(body)
                script.auth.append(self.headers.get("Authorization"))
            action = script.next_action()
            if isinstance(action, Reply):
                send_reply(self, action)
                self.close_connection = True
                return None
            if action == "429":
                return self._send(429, {"error": "rate limited"}, {"Retry-After": "0"})
            if action.isdigit():
                return self._send(int(action), {"detail": f"injected {action}"})
            if action == "slow":
                time.sleep(script.slow_seconds)
            if script.delay:
                time.sleep(script.delay)
            letter = verdict_for(body)
            if action == "garbage":
                self._send(200, completion("I cannot decide.", None, False))
            else:
                self._send(200, completion(f"Both fine. [[{letter}]]", letter, script.logprobs))
            with script.lock:
                script.answered += 1

    return Handler


@contextmanager
def fault_server(script: Script) -> Iterator[str]:
    """Serve `script` on 127.0.0.1 (a free port) in a thread; yields the base URL (…/v1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def transformers_server(folder: Path, startup_timeout: float = 600.0) -> Iterator[str]:
    """The real `transformers serve` on a checkpoint folder, on 127.0.0.1 (offline); yields the base URL (…/v1).
    Requests must name the folder path as their model (the server is pinned to it)."""
    port = free_port()
    exe = Path(sys.executable).parent / "transformers"
    cmd = [str(exe), "serve", str(folder), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"transformers serve exited: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("transformers serve did not start in time")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def battles(n: int) -> pd.DataFrame:
    """n labelled single-turn battles; the side containing 'good' wins (battle i % 3 == 2: a tie)."""
    rows = []
    for i in range(n):
        a, b, label = ("a good answer", "a weak answer", 0) if i % 3 == 0 else ("weak", "good", 1)
        if i % 3 == 2:
            a, b, label = "plain", "plain too", 2
        rows.append({"id": f"b{i}", "source": "t", "prompt": [f"question {i}?"], "response_a": [a],
                     "response_b": [b], "label": label})  # fmt: skip
    return conform(pd.DataFrame(rows))
