"""Benchmark (not a test): bootstrap of the leaderboard on the 57,477-row Kaggle-scale file.

Builds (or reuses) the file of bench/kaggle_scale.py, reads it, prepares the comparisons (plain: battles grouped
into cells of identical outcomes; style control: one row per battle with its four style covariates), then times,
in the same run, one plain full-data fit (scikit-learn) and 1,000 bootstrap rounds (batched Newton, warm-started,
on --jobs processes). Prints each time and the bootstrap as a ratio of one plain fit, against the target of
<= 60 s for >= 1,000 rounds on 2 cores, and writes the figures as JSON.

    python bench/leaderboard_speed.py --data ../shared/data --out out/leaderboard
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

TARGET_SECONDS = 60.0


def _timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the leaderboard bootstrap on a Kaggle-scale file.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--file", type=Path, default=Path("bench/cache/kaggle_scale.csv"), help="built if absent")
    parser.add_argument("--rows", type=int, default=57477)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--jobs", default="1,2", help="comma-separated process counts to time the bootstrap with")
    parser.add_argument("--out", type=Path, default=Path("out/leaderboard"))
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).parent))
    from arenapref.data.io import read_battles
    from arenapref.ranking.bradley_terry import comparisons, design_of, fit_parameters
    from arenapref.ranking.solver import bootstrap
    from kaggle_scale import build_kaggle_scale

    path, seconds = _timed(build_kaggle_scale, args.data, args.file, n_rows=args.rows)
    print(f"file: {path} ({path.stat().st_size / 2**20:.1f} MiB), ready in {seconds:.1f} s")
    (battles, _), seconds = _timed(read_battles, path)
    jobs = [int(j) for j in args.jobs.split(",")]
    load = os.getloadavg()[0]
    print(f"read {len(battles)} battles in {seconds:.1f} s; cores: {os.cpu_count()}, load average {load:.1f}")
    results: dict[str, object] = {"rows": len(battles), "rounds": args.rounds, "load_average": load}
    plain_fit = None
    for name, style in (("plain", False), ("style control", True)):
        comp, prep = _timed(comparisons, battles, style=style)
        theta, fit = _timed(fit_parameters, comp, "bt")
        plain_fit = plain_fit or fit
        design = design_of(comp)
        print(
            f"[{name}] {len(comp.models)} models, {comp.n_battles} battles in {len(comp.target)} cells, "
            f"{design.n_style} style covariates; prepare {prep:.1f} s; one fit {fit:.3f} s"
        )
        part: dict[str, object] = {"models": len(comp.models), "cells": len(comp.target), "prepare_s": prep,
                                   "fit_s": fit}  # fmt: skip
        for n_jobs in jobs:
            (boot, _), boot_s = _timed(
                bootstrap, design, "bt", comp.target, comp.cell_of_battle, theta, 0.5, args.rounds, 0, n_jobs
            )
            assert boot.shape == (args.rounds, len(theta)) and bool((abs(boot) < 50).all())
            ratio = boot_s / plain_fit
            verdict = "meets" if boot_s <= TARGET_SECONDS else "MISSES"
            print(
                f"    {args.rounds} bootstrap rounds on {n_jobs} process(es): {boot_s:.1f} s = {ratio:.0f}x one plain "
                f"fit ({plain_fit:.3f} s), {boot_s / args.rounds * 1000:.1f} ms per round; {verdict} the target "
                f"<= {TARGET_SECONDS:.0f} s"
            )
            part[f"bootstrap_s_{n_jobs}_jobs"] = boot_s
            part[f"ratio_to_plain_fit_{n_jobs}_jobs"] = ratio
        results[name] = part
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "leaderboard_speed.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out / 'leaderboard_speed.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
