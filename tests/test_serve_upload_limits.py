"""The upload endpoint under a seeded corpus of every compressed or archived format a reader accepts (gzip, bz2,
zip, parquet with compressed columns): bombs, truncations, flipped bytes and well-formed files, sent to a real
`arenapref serve` process whose address space is capped and whose peak resident memory is measured."""

from __future__ import annotations

import bz2
import gzip
import io
import random
import resource
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pandas as pd
import psutil
import pytest

from serve_support import ARENAPREF, DATA, STARTED, small_fast_model_dir

#: The server's address space (virtual memory) cap, and the peak resident memory the test allows it.
ADDRESS_SPACE = 6 << 30
PEAK_RSS = 2 << 30
BOMB = 1 << 30  # bytes of zeros a bomb unpacks to: 1 GiB, the reproduction
SEED = 20261207


def zipped(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("battles.csv", data)
    return out.getvalue()


def parquet(frame: pd.DataFrame, codec: str) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out, compression=codec)
    return out.getvalue()


def zero_stream(compress: Callable[[bytes], bytes]) -> bytes:
    return compress(b"\0" * BOMB)


def corpus() -> list[tuple[str, bytes]]:
    """(name, body) pairs: for each wrapper a bomb, a valid file, its truncation and byte-flipped copies."""
    rng = random.Random(SEED)
    kaggle = (DATA / "kaggle-sample" / "train.csv").read_bytes()
    frame = pd.read_csv(io.BytesIO(kaggle)).head(20)
    prompts = [f'["{i:08d}' + "x" * 4000 + '"]' for i in range(20_000)]  # distinct: 80 MB unpacked
    big_parquet = pd.DataFrame({"id": range(20_000), "prompt": prompts})
    wrappers: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "bz2": bz2.compress, "zip": zipped}
    bodies: list[tuple[str, bytes]] = []
    for name, wrap in wrappers.items():
        valid = wrap(kaggle)
        bodies += [(f"{name} bomb", zero_stream(wrap)), (f"{name} valid", valid), (f"{name} truncated", valid[:-40])]
        bodies += [(f"{name} flipped {i}", _flip(valid, rng)) for i in range(4)]
        bodies.append((f"{name} in {name}", wrap(wrap(kaggle))))
    for codec in ("zstd", "gzip", "snappy"):
        valid = parquet(frame, codec)
        bodies += [(f"parquet {codec} valid", valid), (f"parquet {codec} truncated", valid[: len(valid) // 2])]
        bodies += [(f"parquet {codec} flipped {i}", _flip(valid, rng)) for i in range(3)]
    bodies.append(("parquet zstd bomb", parquet(big_parquet, "zstd")))
    bodies.append(("gzip of parquet bomb", gzip.compress(parquet(big_parquet, "zstd"))))
    bodies.append(("random bytes", rng.randbytes(50_000)))
    return bodies


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(8):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_uploads_of_every_compressed_format_stay_bounded(tmp_path: Path) -> None:
    bodies = corpus()
    assert all(len(body) <= 4 << 20 for _, body in bodies), "every body fits the 4 MiB request limit"
    model = small_fast_model_dir()
    proc = subprocess.Popen(
        [ARENAPREF, "serve", str(model), "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        preexec_fn=_cap_memory,
    )
    peak = [0]
    try:
        url = _wait_for_url(proc)
        watcher = threading.Thread(target=_watch_rss, args=(proc.pid, peak), daemon=True)
        watcher.start()
        statuses = {}
        with httpx.Client(base_url=url, timeout=120) as client:
            for name, body in bodies:
                response = client.post("/v1/predict/file", content=body)
                statuses[name] = response.status_code
                assert response.status_code in (200, 413, 422), (name, response.status_code, response.text[:300])
                if response.status_code != 200:
                    assert response.json()["detail"].startswith("body: "), (name, response.text[:300])
            assert client.get("/healthz").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for name in ("gzip bomb", "bz2 bomb", "zip bomb", "parquet zstd bomb", "gzip of parquet bomb"):
        assert statuses[name] == 413, (name, statuses[name])
    for name in ("gzip valid", "bz2 valid", "zip valid", "parquet zstd valid"):
        assert statuses[name] == 200, (name, statuses[name])
    assert peak[0] < PEAK_RSS, f"server peaked at {peak[0] / 2**20:.0f} MiB resident"


def _wait_for_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if found := STARTED.search(line):
            threading.Thread(target=lambda: [None for _ in proc.stderr or ()], daemon=True).start()
            return found.group(1)
        if time.monotonic() > deadline:
            break
    raise RuntimeError("server did not start")


def _watch_rss(pid: int, peak: list[int]) -> None:
    process = psutil.Process(pid)
    while True:
        try:
            peak[0] = max(peak[0], process.memory_info().rss)
        except psutil.Error:
            return
        time.sleep(0.02)


def test_a_multipart_upload_is_told_to_send_the_bytes() -> None:
    from fastapi.testclient import TestClient

    from arenapref.serve.app import create_app
    from serve_support import LengthModel

    client = TestClient(create_app(LengthModel()), raise_server_exceptions=False)
    kaggle = (DATA / "kaggle-sample" / "train.csv").read_bytes()
    response = client.post("/v1/predict/file", files={"file": ("train.csv", kaggle, "text/csv")})
    assert response.status_code == 415, response.text
    assert "application/octet-stream" in response.json()["detail"] and "--format" not in response.text
    response = client.post("/v1/predict/file", content=b"a,b\n1,2\n")
    assert response.status_code == 422 and "--format" not in response.text, response.text
