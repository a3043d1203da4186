"""Helpers for the serve tests: a small explaining model, and the app run by uvicorn on a loopback port."""

from __future__ import annotations

import atexit
import functools
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import uvicorn

from arenapref.features.style import normalised_difference
from arenapref.features.text import side_text
from arenapref.models.base import PreferenceModel, Reason


class LengthModel(PreferenceModel):
    """Longer answer preferred, symmetric in A/B, with one reason per battle; counts predict calls.
    Not registered: it exists to exercise the service's plumbing (reasons, batching, swap) with known numbers."""

    name = "test-length"

    def __init__(self, slope: float = 3.0, fail_on: str | None = None) -> None:
        self.slope, self.fail_on, self.calls = slope, fail_on, 0

    def fit(self, battles: pd.DataFrame) -> LengthModel:
        return self

    def length_difference(self, battles: pd.DataFrame) -> np.ndarray:
        a, b = side_text(battles, "response_a").str.len(), side_text(battles, "response_b").str.len()
        return normalised_difference(a, b)

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        if self.fail_on is not None and (side_text(battles, "prompt") == self.fail_on).any():
            raise RuntimeError("secret detail from /srv/internal/model.py")
        z = self.slope * self.length_difference(battles)
        logits = np.column_stack([z, -z, np.zeros_like(z)])
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def explain(self, battles: pd.DataFrame, top: int = 5) -> list[list[Reason]] | None:
        d = self.length_difference(battles)
        return [[Reason("length_difference", float(v), abs(self.slope * v), "A" if v >= 0 else "B")][:top] for v in d]

    def get_state(self) -> dict[str, Any]:
        return {"slope": self.slope}

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> LengthModel:
        return cls(state["slope"])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run `app` with uvicorn in a thread on 127.0.0.1 (a free port); yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


ARENAPREF = str(Path(sys.executable).parent / "arenapref")
STARTED = re.compile(r"Uvicorn running on (http://\S+) ")


@contextmanager
def serve_command(*args: str, timeout: float = 60) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run `arenapref serve ARGS...` (give --port 0); yields the process and the URL uvicorn reports."""
    proc = subprocess.Popen([ARENAPREF, "serve", *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr or ()], daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError("server did not start:\n" + "".join(seen)) from None
            seen.append(line)
            if found := STARTED.search(line):
                break
        url = found.group(1)
        while not _healthy(url):  # with several workers the socket is bound before they are ready
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy:\n" + "".join(seen))
            time.sleep(0.05)
        yield proc, url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


DATA = Path(__file__).parents[1].parent / "shared" / "data"


@functools.cache
def small_fast_model_dir() -> Path:
    """A fast model trained once per test session on 400 Auto-J battles with few rounds (a few seconds)."""
    from arenapref.data.io import read_battles
    from arenapref.models.trees.fast import FastModel

    battles, _ = read_battles(DATA / "autoj" / "testdata_pairwise.jsonl")
    directory = Path(tempfile.mkdtemp(prefix="arenapref-serve-fast-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    boost = {"n_estimators": 30, "fallback_rounds": 30, "n_jobs": 1}
    return FastModel(inner_folds=0, boost=boost).fit(battles.iloc[:400]).save(directory / "model")
