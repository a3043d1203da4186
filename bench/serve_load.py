"""Benchmark (not a test): a bounded load run of `arenapref serve` on 127.0.0.1.

Starts the server as a subprocess on a free loopback port (access log off), then runs phases, each for a fixed
time at a fixed concurrency: GET /healthz at concurrency 1 (the baseline: HTTP + framework), POST /v1/predict at
concurrency 1 with and without reasons (latency of one prediction), POST /v1/predict and GET /healthz at
`--concurrency` (under load; concurrent single requests are micro-batched), and POST /v1/predict/batch with `--batch`
battles per call at concurrency 2. The prediction phases run `--rounds` times: memory is flat when the server's RSS
stops growing after the first round (its working set). Prints p50/p99 latency, throughput and errors per phase, p50
single latency as a ratio to the /healthz p50 of the same run, and the server's RSS at start, middle and end of each
phase and at the end of each round.
Battles are real Auto-J pairs. Without --model it trains the fast model on Auto-J first (its default settings).

    python bench/serve_load.py --data ../shared/data --out out/serve
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from rich.console import Console
from rich.table import Table

console = Console(width=150)
STARTED = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+) ")
TARGET_P50_MS = 20.0


@dataclass
class Phase:
    """One bounded run: what was sent, how it went, and the server's memory during it."""

    name: str
    concurrency: int
    battles_per_call: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    rss_mib: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.array([np.nan])
        calls = len(self.latencies_ms) + self.errors
        return {
            "phase": self.name,
            "concurrency": self.concurrency,
            "battles_per_call": self.battles_per_call,
            "calls": calls,
            "errors": self.errors,
            "p50_ms": float(np.percentile(lat, 50)),
            "p99_ms": float(np.percentile(lat, 99)),
            "calls_per_s": calls / self.seconds if self.seconds else 0.0,
            "battles_per_s": calls * self.battles_per_call / self.seconds if self.seconds else 0.0,
            "rss_mib": self.rss_mib,
        }


def battle_bodies(data: Path) -> list[dict[str, Any]]:
    from arenapref.data.io import read_battles

    battles, _ = read_battles(data / "autoj" / "testdata_pairwise.jsonl")
    return [
        {"prompt": list(r.prompt), "response_a": list(r.response_a), "response_b": list(r.response_b)}
        for r in battles.itertuples()
    ]


def train_model(data: Path, directory: Path) -> Path:
    from arenapref.data.io import read_battles
    from arenapref.models.trees.fast import FastModel

    battles, _ = read_battles(data / "autoj" / "testdata_pairwise.jsonl")
    start = time.perf_counter()
    FastModel().fit(battles).save(directory)
    console.print(f"trained the fast model on {len(battles)} Auto-J battles in {time.perf_counter() - start:.1f} s")
    return directory


def start_server(model: Path, workers: int) -> tuple[subprocess.Popen[str], str]:
    exe = str(Path(sys.executable).parent / "arenapref")
    args = [exe, "serve", str(model), "--host", "127.0.0.1", "--port", "0", "--workers", str(workers)]
    proc = subprocess.Popen([*args, "--no-access-log"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if found := STARTED.search(line):
            threading.Thread(target=lambda: [None for _ in proc.stderr or ()], daemon=True).start()  # keep draining
            url = found.group(1)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                        return proc, url
                except httpx.TransportError:
                    time.sleep(0.1)
            break
    proc.kill()
    raise SystemExit("the server did not start")


def rss_mib(proc: subprocess.Popen[str]) -> float:
    """Resident memory of the server and its worker processes."""
    root = psutil.Process(proc.pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20


async def run_phase(
    url: str, proc: subprocess.Popen[str], phase: Phase, seconds: float, request: Any, expected: int | None
) -> Phase:
    """`phase.concurrency` clients send `request(i)` back to back until `seconds` have passed."""
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            method, path, body = request(next(counter))
            start = time.perf_counter()
            try:
                response = await http.request(method, url + path, json=body)
                ok = response.status_code == 200 and (
                    expected is None or len(response.json()["predictions"]) == expected
                )
            except httpx.HTTPError:
                ok = False
            if ok:
                phase.latencies_ms.append((time.perf_counter() - start) * 1000)
            else:
                phase.errors += 1

    async def sample_memory() -> None:
        phase.rss_mib["start"] = rss_mib(proc)
        await asyncio.sleep(seconds / 2)
        phase.rss_mib["middle"] = rss_mib(proc)

    limits = httpx.Limits(max_connections=phase.concurrency, max_keepalive_connections=phase.concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        start = time.perf_counter()
        await asyncio.gather(sample_memory(), *(client(http) for _ in range(phase.concurrency)))
        phase.seconds = time.perf_counter() - start
    phase.rss_mib["end"] = rss_mib(proc)
    return phase


def show(phases: list[dict[str, Any]], ratio: float) -> None:
    table = Table(title="arenapref serve: bounded load on 127.0.0.1")
    columns = ("phase", "conc.", "calls", "errors", "p50 ms", "p99 ms", "calls/s", "battles/s", "RSS MiB start/mid/end")
    for col in columns:
        table.add_column(col, justify="left" if col == "phase" else "right")
    for p in phases:
        rss = "/".join(f"{p['rss_mib'][k]:.0f}" for k in ("start", "middle", "end"))
        table.add_row(
            p["phase"], str(p["concurrency"]), str(p["calls"]), str(p["errors"]), f"{p['p50_ms']:.2f}",
            f"{p['p99_ms']:.2f}", f"{p['calls_per_s']:.1f}", f"{p['battles_per_s']:.1f}", rss,
        )  # fmt: skip
    console.print(table)
    console.print(f"p50 single prediction (concurrency 1, last round) / p50 /healthz = {ratio:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model", type=Path, help="Model directory to serve (default: train the fast model).")
    parser.add_argument("--out", type=Path, default=Path("out/serve"))
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of each phase.")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32, help="Battles per batch call.")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--rounds", type=int, default=2, help="Times the prediction phases run (memory must stay flat after the first)."
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    model = args.model or train_model(args.data, args.out / "fast-model")
    bodies = battle_bodies(args.data)
    proc, url = start_server(model, args.workers)
    try:
        console.print(f"server pid {proc.pid} at {url}, model {httpx.get(url + '/v1/model').json()['name']!r}")
        for i in range(20):  # warm-up
            httpx.post(f"{url}/v1/predict", json=bodies[i], timeout=60)

        def single(i: int) -> tuple[str, str, Any]:
            return "POST", "/v1/predict", bodies[i % len(bodies)]

        def no_reasons(i: int) -> tuple[str, str, Any]:
            return "POST", "/v1/predict?reasons=false", bodies[i % len(bodies)]

        def batch(i: int) -> tuple[str, str, Any]:
            start = (i * args.batch) % len(bodies)
            return "POST", "/v1/predict/batch", {"battles": (bodies + bodies)[start : start + args.batch]}

        def rounds(k: int) -> list[tuple[Phase, Any, int | None]]:
            return [
                (Phase(f"[{k}] POST /v1/predict", 1, 1), single, None),
                (Phase(f"[{k}] POST /v1/predict?reasons=false", 1, 1), no_reasons, None),
                (Phase(f"[{k}] POST /v1/predict", args.concurrency, 1), single, None),
                (Phase(f"[{k}] GET /healthz", args.concurrency, 0), lambda i: ("GET", "/healthz", None), None),
                (Phase(f"[{k}] POST /v1/predict/batch x{args.batch}", 2, args.batch), batch, args.batch),
            ]

        plan = [(Phase("GET /healthz", 1, 0), lambda i: ("GET", "/healthz", None), None)]
        for k in range(1, args.rounds + 1):
            plan += rounds(k)
        phases = []
        for phase, request, expected in plan:
            console.print(f"{phase.name} at concurrency {phase.concurrency} for {args.seconds:.0f} s ...")
            phases.append(asyncio.run(run_phase(url, proc, phase, args.seconds, request, expected)).summary())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    per_round = (len(phases) - 1) // args.rounds
    singles = [p["p50_ms"] for p in phases[1::per_round]]
    ratio = singles[-1] / phases[0]["p50_ms"]
    show(phases, ratio)
    round_ends = [phases[k * per_round]["rss_mib"]["end"] for k in range(1, args.rounds + 1)]
    later_growth = round_ends[-1] - round_ends[0]
    total_errors = sum(p["errors"] for p in phases)
    verdict = "met" if singles[-1] <= TARGET_P50_MS else "NOT met"
    console.print(
        f"errors: {total_errors}; server RSS at the end of each round: "
        + ", ".join(f"{r:.0f} MiB" for r in round_ends)
        + f" (change after round 1: {later_growth:+.1f} MiB = {later_growth / round_ends[0]:+.1%}; "
        f"warm-up growth in round 1: {round_ends[0] - phases[0]['rss_mib']['end']:+.1f} MiB)"
    )
    console.print(
        f"p50 single prediction with reasons, round by round: {', '.join(f'{v:.2f} ms' for v in singles)}; "
        f"target p50 <= {TARGET_P50_MS:.0f} ms (last round): {verdict}"
    )
    result = {
        "url": url,
        "model": str(model),
        "phases": phases,
        "single_over_healthz_p50": ratio,
        "rss_round_end_mib": round_ends,
    }
    (args.out / "serve_load.json").write_text(json.dumps(result, indent=2))
    console.print(f"wrote {args.out / 'serve_load.json'}")


if __name__ == "__main__":
    main()
