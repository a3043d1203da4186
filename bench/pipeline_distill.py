"""The winners' pipeline measured at CPU scale: distillation through pseudo-labels, fold averaging, two processes.

Needs the fine-tuning tier (`cross-encoder`) and a teacher model (default `embed`, the embeddings tier): run it on
the merged tree.

1. Auto-J is split by prompt into a development part (80 %) and a test part (20 %). On the development part,
   K prompt-grouped folds: per fold a teacher is trained on the fold's training battles only and pseudo-labels a
   seeded slice of the unlabelled pool (labels dropped; pool battles sharing a prompt with any Auto-J battle are
   removed first). Two students per fold, same folds, same settings: labels only, and labels + pseudo-labels
   (distillation through soft labels). Out-of-fold accuracy and log loss of both, and of the teacher.
2. The K label-only fold students (LoRA) predict the test part: fold 0 alone, the mean of the K predictions
   (fold ensemble), the fold-averaged adapter (`average-folds`), and the averaged merged deltas.
3. Wall time of `arenapref pseudo-label` with the averaged student over the test part: 1 process vs
   `torchrun --nproc_per_node 2` (the same rows, the same output).
4. With --lodo N: leave-one-dataset-out for Auto-J instead: teacher and students trained on N battles drawn from
   every other set (battles sharing a prompt with Auto-J removed), tested on all of Auto-J.

    python bench/pipeline_distill.py --pool bench/cache/kaggle_scale.csv --out out/pipeline
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.folds import grouped_folds
from arenapref.data.io import read_battles, write_battles
from arenapref.data.schema import labels
from arenapref.evaluation.metrics import accuracy, kaggle_log_loss
from arenapref.models.base import mirror_average
from arenapref.models.registry import create, load
from arenapref.pipeline.cv_train import prompt_keys
from arenapref.pipeline.fold_average import average_folds
from arenapref.pipeline.pseudo_labels import pseudo_label


def scores(y: np.ndarray, p: np.ndarray) -> str:
    return f"accuracy {accuracy(y, p):.2%} · log loss {kaggle_log_loss(y, p):.4f}"


def student(options: dict[str, str]) -> object:
    model = create("cross-encoder")
    model.set_options(options)  # type: ignore[attr-defined]
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--pool", type=Path, required=True, help="unlabelled pool (labels are dropped)")
    parser.add_argument("--pool-rows", type=int, default=500)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--teacher", default="embed")
    parser.add_argument("--set", action="append", default=[], help="student option KEY=VALUE")
    parser.add_argument("--out", type=Path, default=Path("out/pipeline"))
    parser.add_argument("--lodo", type=int, default=0, help="run the leave-one-dataset-out stage on N battles")
    parser.add_argument("--from-folds", action="store_true", help="skip stage 1: reuse OUT/fold-i of an earlier run")
    args = parser.parse_args()
    options = {
        "max_length": "128",
        "epochs": "1",
        "lora_r": "8",
        "lora_alpha": "16",
        "lr": "5e-4",
        "progress_bar": "false",
    }
    options.update(dict(item.split("=", 1) for item in args.set))
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"student: cross-encoder (MiniLM) {options}; teacher: {args.teacher}; folds {args.folds}", flush=True)

    autoj, _ = read_battles(args.data / "autoj" / "testdata_pairwise.jsonl")
    dev_idx, test_idx = next(grouped_folds(autoj, 5, seed=0))
    dev, test = autoj.iloc[dev_idx].reset_index(drop=True), autoj.iloc[test_idx].reset_index(drop=True)
    pool, _ = read_battles(args.pool)
    pool = pool[~prompt_keys(pool).isin(set(prompt_keys(autoj)))]
    rows = np.sort(np.random.default_rng(0).choice(len(pool), min(args.pool_rows, len(pool)), replace=False))
    pool = pool.iloc[rows].assign(label=pd.NA).reset_index(drop=True)
    if args.lodo:
        return lodo(args, options, autoj, pool)
    print(f"Auto-J: {len(dev)} development, {len(test)} test battles; pool slice {len(pool)} rows (seed 0)", flush=True)

    results: dict[str, object] = {}
    if not args.from_folds:
        results.update(cross_validate(args, options, dev, pool))
    test_stages(args, test, results)
    return 0


def cross_validate(args: argparse.Namespace, options: dict[str, str], dev: pd.DataFrame, pool: pd.DataFrame) -> dict:
    """Stage 1: per-fold teachers, pseudo-labels, labels-only and distilled students; fold dirs saved."""
    y = labels(dev)
    oof = {name: np.zeros((len(dev), 3)) for name in ("teacher", "labels", "distilled")}
    seconds = {name: 0.0 for name in oof}
    for i, (train, held) in enumerate(grouped_folds(dev, args.folds, seed=0)):
        part = dev.iloc[train].reset_index(drop=True)
        started = time.perf_counter()
        teacher = create(args.teacher).fit(part)
        oof["teacher"][held] = mirror_average(teacher, dev.iloc[held])
        pseudo, report = pseudo_label(pool, mirror_average(teacher, pool))
        seconds["teacher"] += time.perf_counter() - started
        print(f"fold {i}: teacher {scores(y[held], oof['teacher'][held])}; {report.line()}", flush=True)
        for name, data in (("labels", part), ("distilled", pd.concat([part, pseudo], ignore_index=True))):
            started = time.perf_counter()
            model = student(options).fit(data)  # type: ignore[attr-defined]
            oof[name][held] = model.predict_proba(dev.iloc[held])
            seconds[name] += time.perf_counter() - started
            if name == "labels":
                model.save(args.out / f"fold-{i}")
            print(
                f"fold {i}: {name} student {scores(y[held], oof[name][held])} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    results: dict[str, object] = {}
    print("\nAuto-J development part, out-of-fold (same folds):")
    for name, p in oof.items():
        print(f"  {name:10s} {scores(y, p)}  ({seconds[name]:.0f} s)")
        results[f"cv_{name}"] = {
            "accuracy": accuracy(y, p),
            "log_loss": kaggle_log_loss(y, p),
            "seconds": seconds[name],
        }
    return results


def test_stages(args: argparse.Namespace, test: pd.DataFrame, results: dict[str, object]) -> None:
    """Stages 2 and 3: the fold students on the test part, then 1 vs 2 processes."""
    y_test = labels(test)
    folds = [args.out / f"fold-{i}" for i in range(args.folds)]
    per_fold = [load(d).predict_proba(test) for d in folds]
    for method in ("adapters", "deltas"):
        target = args.out / f"averaged-{method}"
        if not target.exists():
            average_folds(list(folds), target, method)  # type: ignore[arg-type]
    variants = {
        "fold 0 alone": per_fold[0],
        "fold ensemble": np.mean(per_fold, axis=0),
        "averaged adapters": load(args.out / "averaged-adapters").predict_proba(test),
        "averaged deltas": load(args.out / "averaged-deltas").predict_proba(test),
    }
    print(f"\nAuto-J test part ({len(test)} battles), label-only LoRA students:")
    for name, p in variants.items():
        print(f"  {name:18s} {scores(y_test, p)}")
        results[f"test_{name}"] = {"accuracy": accuracy(y_test, p), "log_loss": kaggle_log_loss(y_test, p)}

    write_battles(test, args.out / "test.parquet")
    arenapref = Path(sys.executable).parent / "arenapref"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    timing = {}
    for label, prefix in (
        ("1 process", [sys.executable, str(arenapref)]),
        (
            "2 processes",
            [str(Path(sys.executable).parent / "torchrun"), "--standalone", "--nproc_per_node", "2", str(arenapref)],
        ),
    ):
        target = args.out / f"pseudo-{label[0]}.parquet"
        command = [
            *prefix,
            "pseudo-label",
            str(args.out / "averaged-adapters"),
            str(args.out / "test.parquet"),
            "-o",
            str(target),
        ]
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        timing[label] = time.perf_counter() - started
    one, two = (pd.read_parquet(args.out / f"pseudo-{n}.parquet") for n in (1, 2))
    same = bool((one["id"].to_numpy() == two["id"].to_numpy()).all())
    soft = ["soft_a", "soft_b", "soft_tie"]
    gap = float(np.abs(one[soft].to_numpy() - two[soft].to_numpy()).max())
    ratio = timing["1 process"] / timing["2 processes"]
    print(
        f"\npseudo-label over {len(test)} battles (OMP_NUM_THREADS=1 per process): "
        f"1 process {timing['1 process']:.1f} s, 2 processes {timing['2 processes']:.1f} s, "
        f"speed-up {ratio:.2f}x; same ids in the same order: {same}; max |p1 - p2| {gap:.3g}"
    )
    results["wall"] = {**timing, "speedup": ratio, "same_order": same, "max_abs_difference": gap}
    (args.out / "results.json").write_text(json.dumps(results, indent=2))


def lodo(args: argparse.Namespace, options: dict[str, str], autoj: pd.DataFrame, pool: pd.DataFrame) -> int:
    """Leave-one-dataset-out for Auto-J: everything else (capped) to train, all of Auto-J to test."""
    from arenapref.evaluation.protocols import cap_train, transfer_split
    from arenapref.evaluation.sets import load_sets

    battles = load_sets(args.data).battles
    split = cap_train(transfer_split(battles, "autoj"), args.lodo, seed=0)
    train = battles.iloc[split.train].reset_index(drop=True)
    test = battles.iloc[split.test].reset_index(drop=True)
    pool = pool[~prompt_keys(pool).isin(set(prompt_keys(battles.iloc[split.test])))]
    sources = ", ".join(f"{k} {v}" for k, v in train["source"].value_counts().items())
    print(f"leave-one-dataset-out: train {len(train)} battles ({sources}); test Auto-J {len(test)}", flush=True)
    y = labels(test)
    started = time.perf_counter()
    teacher = create(args.teacher).fit(train)
    print(f"  teacher    {scores(y, mirror_average(teacher, test))}", flush=True)
    pseudo, report = pseudo_label(pool, mirror_average(teacher, pool))
    print(f"  {report.line()} ({time.perf_counter() - started:.0f} s)", flush=True)
    for name, data in (("labels", train), ("distilled", pd.concat([train, pseudo], ignore_index=True))):
        started = time.perf_counter()
        model = student(options).fit(data)  # type: ignore[attr-defined]
        p = model.predict_proba(test)
        print(f"  {name:10s} {scores(y, p)} ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
