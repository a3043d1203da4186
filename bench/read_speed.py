"""Benchmark (not a test): read a Kaggle-scale train.csv into the battle table; time and peak memory.

Builds (or reuses) the file of bench/kaggle_scale.py, then reads it in fresh processes, so that each figure is
the reader's own: `read_battles` (parse, repair, validate) and, as baselines of the same run, a bare
`pandas.read_csv` of the same file ("pandas") and read_csv plus json.loads of the three list columns without
checks or repairs ("naive"). Prints seconds, peak RSS and the ratio to the baseline against the targets
(<= 30 s, <= 2 GiB).

    python bench/read_speed.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 30.0
TARGET_RSS_GIB = 2.0


def measure(path: Path, mode: str) -> dict[str, object]:
    """Run in the child process: read once, report seconds, rows and peak RSS."""
    import pandas as pd

    from arenapref.data.io import read_battles

    start = time.perf_counter()
    if mode == "read_battles":
        df, report = read_battles(path)
        extra = {"report": report.lines()}
    else:
        df = pd.read_csv(path)
        extra = {}
        if mode == "naive":  # what a notebook does: parse the JSON lists, no checks, no repairs
            for column in ("prompt", "response_a", "response_b"):
                df[column] = [_loads_or_none(v) for v in df[column]]
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"mode": mode, "seconds": seconds, "rows": len(df), "peak_rss_gib": peak_kib / 2**20, **extra}


def _loads_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def run_child(path: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} reader failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time and peak memory of reading a Kaggle-scale train.csv.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--file", type=Path, default=Path("bench/cache/kaggle_scale.csv"), help="built if absent")
    parser.add_argument("--rows", type=int, default=57477)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(Path(args.child[1]), args.child[0])))
        return 0

    sys.path.insert(0, str(Path(__file__).parent))
    from kaggle_scale import build_kaggle_scale

    start = time.perf_counter()
    path = build_kaggle_scale(args.data, args.file, n_rows=args.rows)
    print(f"file: {path} ({path.stat().st_size / 2**20:.1f} MiB), ready in {time.perf_counter() - start:.1f} s")
    base = run_child(path, "pandas")
    naive = run_child(path, "naive")
    ours = run_child(path, "read_battles")
    print("\n".join(ours["report"]))
    print(f"{'reader':<14}{'rows':>8}{'seconds':>10}{'peak RSS GiB':>14}")
    for r in (base, naive, ours):
        print(f"{r['mode']:<14}{r['rows']:>8}{r['seconds']:>10.2f}{r['peak_rss_gib']:>14.2f}")
    for r in (base, naive):
        print(f"read_battles / {r['mode']}: {ours['seconds'] / r['seconds']:.2f}x time")
    ok_time, ok_rss = ours["seconds"] <= TARGET_SECONDS, ours["peak_rss_gib"] <= TARGET_RSS_GIB
    print(f"target <= {TARGET_SECONDS:.0f} s: {'met' if ok_time else 'MISSED'} ({ours['seconds']:.2f} s)")
    print(
        f"target <= {TARGET_RSS_GIB:.0f} GiB peak RSS: {'met' if ok_rss else 'MISSED'} ({ours['peak_rss_gib']:.2f} GiB)"
    )
    return 0 if ok_time and ok_rss else 1


if __name__ == "__main__":
    sys.exit(main())
