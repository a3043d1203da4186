"""Benchmark (not a test): the Kaggle kit's notebook on the 57,477-row Kaggle-scale file, network off.

Builds (or reuses) the Kaggle-scale train.csv of bench/kaggle_scale.py, writes its test.csv (labels and model
names dropped), trains the fast model on its first --train-rows rows, packs the kit (`arenapref kaggle pack`)
and runs `arenapref kaggle check` on the whole test file: the notebook installs from the kit offline, predicts
every row and prints its time and the projection for 25,000 rows. The baseline, measured in the same run, is
`arenapref predict`'s work in this process (load, read, predict, write) on the same file with the same model;
the notebook's prediction time is shown as a ratio to it. Then the nn tier (bench/kaggle_kit_kinds.py): the kit's
size per model kind packed with --from-image, and a cross-encoder's notebook on the first --nn-rows rows, network
off, projected to 25,000 rows, against the same in-process baseline. Prints tables and writes kaggle_kit.json.

    python bench/kaggle_kit.py --data ../shared/data --out out/kaggle_kit [--no-fast] [--kinds ...] [--nn-rows N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from arenapref.kaggle.runtime import KAGGLE_ROWS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kit size and the notebook's time at Kaggle scale, network off.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--file", type=Path, default=Path("bench/cache/kaggle_scale.csv"), help="built if absent")
    parser.add_argument("--rows", type=int, default=57477)
    parser.add_argument("--train-rows", type=int, default=10_000, help="rows the fast model is trained on")
    parser.add_argument("--model-dir", type=Path, default=None, help="pack this model instead of training one")
    parser.add_argument("--out", type=Path, default=Path("out/kaggle_kit"))
    parser.add_argument("--no-fast", action="store_true", help="skip the fast model's run on the whole file")
    parser.add_argument("--kinds", default="fast,cross-encoder,llm,embed,embed-mlp", help="kit size of these ('' none)")
    parser.add_argument("--nn-rows", type=int, default=500, help="rows of the nn notebook's timed run (0: none)")
    parser.add_argument("--check-rows", type=int, default=100, help="check each kind's kit on this many rows (0: no)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    from arenapref.data.io import read_battles
    from arenapref.data.schema import LABEL_NAMES
    from arenapref.data.submission import write_submission
    from arenapref.kaggle.check import check_kit
    from arenapref.kaggle.pack import pack
    from arenapref.kaggle.target import make_target
    from arenapref.models.registry import create, load
    from kaggle_scale import build_kaggle_scale

    console = Console(width=max(Console().width, 120))
    work = args.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    path = build_kaggle_scale(args.data, args.file, n_rows=args.rows)
    raw = pd.read_csv(path, dtype={"id": str})
    test = work / "test.csv"
    raw.drop(columns=["model_a", "model_b", *LABEL_NAMES]).to_csv(test, index=False)
    console.print(f"test file: {test} ({len(raw):,} rows, {test.stat().st_size / 2**20:.1f} MiB)")
    report: dict = {}
    if args.kinds or args.nn_rows:
        report["nn"] = nn_part(args, path, raw, work, console)
    del raw
    if args.no_fast:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "kaggle_kit.json").write_text(json.dumps(report, indent=1))
        console.print(f"wrote {args.out / 'kaggle_kit.json'}")
        return 0

    model_dir = args.model_dir or work / "fast"
    if args.model_dir is None:
        started = time.perf_counter()
        train, _ = read_battles(path)
        create("fast").fit(train.iloc[: args.train_rows].reset_index(drop=True)).save(model_dir)
        del train
        console.print(f"trained fast on {args.train_rows:,} rows in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    kit = pack(model_dir, work / "kit", make_target())
    pack_s = time.perf_counter() - started

    started = time.perf_counter()  # the baseline: the same work as the notebook's, in this process, no kit
    model = load(model_dir)
    battles, _ = read_battles(test)
    write_submission(battles["id"], model.predict_proba(battles), work / "baseline.csv")
    baseline_s = time.perf_counter() - started
    console.print(f"baseline: {baseline_s:.1f} s")
    del battles, model

    started = time.perf_counter()
    result = check_kit(kit.kit, test, work / "check", progress=lambda m: console.print(m, style="dim"))
    check_s = time.perf_counter() - started
    timing = result.timing
    report |= {
        "rows": timing["rows"],
        "train_rows": args.train_rows if args.model_dir is None else None,
        "kit_mib": kit.total_bytes / 2**20,
        "wheels_mib": kit.manifest["wheels_bytes"] / 2**20,
        "model_mib": kit.manifest["model"]["bytes"] / 2**20,
        "pack_s": pack_s,
        "check_s": check_s,
        "check_steps_s": result.seconds,
        "notebook": timing,
        "baseline_predict_s": baseline_s,
        "notebook_predict_x_baseline": timing["total_s"] / baseline_s,
        "baseline_projected_25k_s": baseline_s * KAGGLE_ROWS / timing["rows"],
        "ids_valid": result.validation,
        "network": result.probe,
    }
    table = Table(title=f"Kaggle kit, fast model, {timing['rows']:,} rows, network off")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row(
        "kit size (wheels + model)",
        f"{report['kit_mib']:.1f} MiB ({report['wheels_mib']:.1f} + {report['model_mib']:.2f})",
    )
    table.add_row("pack", f"{pack_s:.1f} s")
    for step, seconds in result.seconds.items():
        table.add_row(f"check: {step}", f"{seconds:.1f} s")
    table.add_row("notebook: load + read + predict + write", f"{timing['total_s']:.1f} s")
    table.add_row("baseline (arenapref predict's work, in process)", f"{baseline_s:.1f} s")
    table.add_row("notebook / baseline", f"{report['notebook_predict_x_baseline']:.2f}")
    table.add_row(f"projected for {KAGGLE_ROWS:,} rows (notebook)", f"{timing['projected_s']:.0f} s")
    table.add_row("submission", f"{result.validation['rows']:,} rows, {result.validation['ids']:,} ids valid")
    console.print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "kaggle_kit.json").write_text(json.dumps(report, indent=1))
    console.print(f"wrote {args.out / 'kaggle_kit.json'}")
    return 0


def nn_part(args: argparse.Namespace, path: Path, raw: pd.DataFrame, work: Path, console: Console) -> dict:
    """Kit size per kind (--from-image) and the cross-encoder notebook's time on a slice; prints two tables."""
    from arenapref.data.io import read_battles
    from arenapref.data.schema import LABEL_NAMES
    from kaggle_kit_kinds import kit_sizes, nn_timing

    battles, _ = read_battles(path)
    log = lambda m: console.print(m, style="dim")  # noqa: E731
    out: dict = {}
    kinds = [k for k in args.kinds.split(",") if k]
    if kinds:
        check = None
        if args.check_rows:
            check = work / "test-check.csv"
            raw.iloc[: args.check_rows].drop(columns=["model_a", "model_b", *LABEL_NAMES]).to_csv(check, index=False)
        out["sizes"] = kit_sizes(kinds, battles, work, log, check)
        table = Table(title="Kaggle kit size per model kind, packed --from-image (torch, transformers left out)")
        for column in ("kind", "model", "of which carried", "wheels", "kit", f"check ({args.check_rows} rows)"):
            table.add_column(column, justify="left" if column[:5] in ("kind", "check") else "right")
        for row in out["sizes"]:
            mib = [f"{row[k]:.1f} MiB" for k in ("model_mib", "carried_mib", "wheels_mib", "kit_mib")]
            table.add_row(row["kind"], *mib, row.get("check", "not run"))
        console.print(table)
    if args.nn_rows:
        test = raw.iloc[: args.nn_rows].drop(columns=["model_a", "model_b", *LABEL_NAMES])
        t = out["timing"] = nn_timing(battles, test, work, log)
        nb = t["notebook"]
        table = Table(title=f"Kaggle kit, cross-encoder (256-token window), {t['rows']:,} rows, network off")
        table.add_column("figure")
        table.add_column("value", justify="right")
        for step, seconds in t["check_steps_s"].items():
            table.add_row(f"check: {step}", f"{seconds:.1f} s")
        total = f"{nb['total_s']:.1f} s (predict {nb['predict_s']:.1f} s)"
        table.add_row("notebook: load + read + predict + write", total)
        table.add_row("baseline (arenapref predict's work, in process)", f"{t['baseline_s']:.1f} s")
        table.add_row("notebook / baseline", f"{t['notebook_x_baseline']:.2f}")
        table.add_row(f"projected for {KAGGLE_ROWS:,} rows (notebook)", f"{nb['projected_s']:.0f} s")
        table.add_row(f"projected for {KAGGLE_ROWS:,} rows (baseline)", f"{t['baseline_projected_25k_s']:.0f} s")
        table.add_row("submission", f"{t['ids_valid']['rows']:,} rows, {t['ids_valid']['ids']:,} ids valid")
        console.print(table)
    return out


if __name__ == "__main__":
    sys.exit(main())
