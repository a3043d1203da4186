"""Benchmark (not a test): read, fit and predict time and peak memory of every registered model at Kaggle scale.

Builds (or reuses) the 57,477-row Kaggle-scale train.csv of bench/kaggle_scale.py. Each model runs in a fresh
process so that its peak RSS is its own: read the file with `read_battles`, `fit` on every row, `predict_proba`
on every row. The prior model runs in the same invocation and every figure is also shown as a ratio to the prior's.
Prints a table and writes speed.json.

    python bench/speed.py --data ../shared/data --out out/speed
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REFERENCE = "prior"


def measure(model_name: str, path: Path) -> dict[str, Any]:
    """Run in the child process: read, fit, predict once; seconds of each and peak RSS."""
    from arenapref.data.io import read_battles
    from arenapref.models.registry import create

    start = time.perf_counter()
    battles, _ = read_battles(path)
    read_s = time.perf_counter() - start
    model = create(model_name)
    start = time.perf_counter()
    model.fit(battles)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    proba = model.predict_proba(battles)
    predict_s = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "model": model_name,
        "rows": len(battles),
        "read_s": read_s,
        "fit_s": fit_s,
        "predict_s": predict_s,
        "total_s": read_s + fit_s + predict_s,
        "peak_rss_gib": peak_kib / 2**20,
        "predictions": list(proba.shape),
    }


def run_child(model_name: str, path: Path, timeout: float) -> dict[str, Any]:
    """One model in a fresh process; a failure or timeout becomes a row with `error`."""
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", model_name, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"model": model_name, "error": f"timed out after {timeout:.0f} s"}
    if done.returncode:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return {"model": model_name, "error": last}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def with_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's seconds and peak RSS divided by the prior's of the same run."""
    ref = next(r for r in rows if r["model"] == REFERENCE)
    for row in rows:
        if "error" in row or "error" in ref:
            continue
        for key in ("read_s", "fit_s", "predict_s", "total_s", "peak_rss_gib"):
            row[f"{key}_x_prior"] = row[key] / ref[key] if ref[key] > 0 else float("nan")
    return rows


def table(rows: list[dict[str, Any]], path: Path) -> Table:
    out = Table(title=f"speed at Kaggle scale: {path} (fit and predict on every row; ratios to the prior)")
    for header in ("model", "rows", "read s", "fit s", "predict s", "total s", "× prior", "peak RSS GiB", "× prior"):
        out.add_column(header, justify="left" if header == "model" else "right")
    for r in rows:
        if "error" in r:
            out.add_row(r["model"], "", "", "", "", "", "", "", "", style="red")
            continue
        out.add_row(
            r["model"],
            str(r["rows"]),
            f"{r['read_s']:.2f}",
            f"{r['fit_s']:.2f}",
            f"{r['predict_s']:.2f}",
            f"{r['total_s']:.2f}",
            f"{r.get('total_s_x_prior', float('nan')):.2f}",
            f"{r['peak_rss_gib']:.2f}",
            f"{r.get('peak_rss_gib_x_prior', float('nan')):.2f}",
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Read/fit/predict time and peak RSS of every model at Kaggle scale.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--file", type=Path, default=Path("bench/cache/kaggle_scale.csv"), help="built if absent")
    parser.add_argument("--rows", type=int, default=57477)
    parser.add_argument("--models", default=None, help="comma-separated names (default: registry.default_models())")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per model")
    parser.add_argument("--out", type=Path, default=Path("out/speed"))
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]))))
        return 0

    sys.path.insert(0, str(Path(__file__).parent))
    from arenapref.models import registry
    from kaggle_scale import build_kaggle_scale

    names = [m for m in (args.models.split(",") if args.models else registry.default_models()) if m]
    unknown = [n for n in names if n not in registry.MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(sorted(registry.MODELS))}")
    names = [REFERENCE, *[n for n in dict.fromkeys(names) if n != REFERENCE]]
    console = Console(width=max(Console().width, 120))
    start = time.perf_counter()
    path = build_kaggle_scale(args.data, args.file, n_rows=args.rows)
    console.print(f"file: {path} ({path.stat().st_size / 2**20:.1f} MiB), ready in {time.perf_counter() - start:.1f} s")
    with path.open("rb") as f:  # warm the page cache so the first model's read is not the only cold one
        while f.read(1 << 24):
            pass
    rows = []
    for name in names:
        console.print(f"running {name} ...", style="dim")
        rows.append(run_child(name, path, args.timeout))
    rows = with_ratios(rows)
    console.print(table(rows, path))
    for r in rows:
        if "error" in r:
            console.print(f"[red]{r['model']} failed:[/] {r['error']}", highlight=False)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.json").write_text(json.dumps({"file": str(path), "rows": rows}, indent=1))
    console.print(f"wrote {args.out / 'speed.json'}")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
