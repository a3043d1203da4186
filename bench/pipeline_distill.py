"""The winners' pipeline measured at CPU scale, on the folds and rows of the fine-tuning benchmark
(bench/finetune_cpu.py), so its label-only figures are the baseline. Benchmark, not a test; each stage writes
OUT/<stage>.json (merged, so a stage split with --only resumes).

Student: the MiniLM cross-encoder with finetune_cpu's settings (256-token window, 1 epoch, no early-stopping share,
no time cap). Teacher: the embeddings tier's `embed` model. Distillation: alpha * CE(labels) + (1 - alpha) *
KL(teacher || student) at alpha 0.5, T 1 (the recipe defaults), where the teacher's rows for the training battles
are out-of-fold inside the training part (3 prompt-grouped folds: a teacher never grades battles it trained on),
plus pseudo-labels: the unlabelled pool graded (mirror-averaged) by a teacher trained on the whole training part.

Pool (labels dropped): vicuna80's no-majority battles (real battles with no majority verdict) and a seeded slice of
the Kaggle-scale file (bench/kaggle_scale.py); pool battles sharing a prompt with Auto-J, or holding a text that
is a prefix of an Auto-J text or starts with one (the Kaggle-scale file is made of slices of real texts), are
removed first, so no Auto-J text reaches training.

Stages:
- `cv`: Auto-J 5-fold CV (the folds of `arenapref bench` and finetune_cpu cv): the distilled student per fold
  (the label-only student is finetune_cpu cv with the same settings);
- `lodo`: Auto-J left out (finetune_cpu lodo's 600 training battles from the other sets and its 300 Auto-J test
  battles): teacher, label-only student (a rerun, to check it reproduces finetune_cpu's figure) and distilled student;
- `folds`: 3 prompt-grouped fold students (LoRA r 8 on all linear layers) on the same 600 battles, scored on the
  same 300 Auto-J battles: fold 0 alone, the fold ensemble (mean of predictions), averaged adapters, averaged
  merged deltas;
- `wall`: `arenapref train` on 200 of those battles (one epoch, same work): 1 process vs `torchrun
  --nproc_per_node 2` (1 thread per process), and 1 process with 2 threads; then `arenapref pseudo-label` over the
  300 Auto-J test battles, 1 vs 2 processes (same ids, same order, same probabilities).

    python bench/pipeline_distill.py lodo --pool bench/cache/kaggle_scale.csv --out out/bench12
    python bench/pipeline_distill.py cv --only fold3,fold4 --pool bench/cache/kaggle_scale.csv --out out/bench12
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.folds import grouped_folds
from arenapref.data.io import read_battles, write_battles
from arenapref.data.schema import SOFT_COLUMNS
from arenapref.evaluation.protocols import in_domain_splits
from arenapref.evaluation.sets import load_sets
from arenapref.models.base import mirror_average
from arenapref.models.registry import create, load
from arenapref.pipeline.cv_train import fit_with_teacher, prompt_keys, train_folds
from arenapref.pipeline.fold_average import average_folds
from arenapref.pipeline.pseudo_labels import pseudo_label
from finetune_cpu import held_out_score, lodo_split  # type: ignore[import-not-found]  # bench/, the baseline's rows

STUDENT = {
    "max_length": "256",
    "prompt_cap": "64",
    "epochs": "1",
    "eval_fraction": "0",
    "max_seconds": "none",
    "progress_bar": "false",
}
LORA = {"lora_r": "8", "lora_alpha": "16", "lr": "5e-4"}
ALPHA = 0.5
TEACHER_INNER_FOLDS = 3


def scores(test: pd.DataFrame, proba: np.ndarray) -> dict[str, float]:
    """Accuracy and log loss on the labelled test rows, as finetune_cpu scores them."""
    result = held_out_score(test, proba)
    return {"accuracy": result.accuracy, "log_loss": result.log_loss}


def line(name: str, result: dict[str, float], seconds: float | None = None) -> str:
    took = f" ({seconds:.0f} s)" if seconds is not None else ""
    return f"  {name:22s} accuracy {result['accuracy']:.2%} · log loss {result['log_loss']:.4f}{took}"


def texts(battles: pd.DataFrame) -> list[str]:
    return [t for col in ("prompt", "response_a", "response_b") for turns in battles[col] for t in turns if t]


def touches(candidates: list[str], known: list[str]) -> bool:
    """True when a candidate text is a prefix of a known text or starts with one."""
    return any(c.startswith(k) or k.startswith(c) for c in candidates for k in known)


def build_pool(data: Path, kaggle_file: Path, kaggle_rows: int, avoid: pd.DataFrame) -> pd.DataFrame:
    """vicuna80's no-majority battles + a seeded Kaggle-scale slice, labels dropped, nothing of `avoid` inside."""
    vicuna, _ = read_battles(data / "vicuna80" / "vicuna80_human_pairwise.jsonl")
    vicuna = vicuna[vicuna["label"].isna()]
    kaggle, _ = read_battles(kaggle_file)
    rng = np.random.default_rng(0)
    kaggle = kaggle.iloc[np.sort(rng.choice(len(kaggle), min(4 * kaggle_rows, len(kaggle)), replace=False))]
    known = sorted({" ".join(t.split()) for t in texts(avoid) if t.strip()})
    clean = [
        not touches([" ".join(t.split()) for t in texts(kaggle.iloc[[i]]) if t.strip()], known)
        for i in range(len(kaggle))
    ]
    kept = kaggle[np.array(clean)].head(kaggle_rows)
    touched = sum(not c for c in clean)
    print(f"pool: Kaggle-scale {len(kaggle)} drawn, {touched} hold an Auto-J text (removed), first {len(kept)} kept")
    pool = pd.concat([vicuna, kept], ignore_index=True)
    pool = pool[~prompt_keys(pool).isin(set(prompt_keys(avoid)))].reset_index(drop=True)
    pool["label"] = pd.NA
    for column in SOFT_COLUMNS:
        if column in pool.columns:
            pool[column] = np.nan
    print(f"pool: {len(pool)} battles (vicuna80 no-majority {len(vicuna)}, Kaggle-scale {len(kept)}), labels dropped")
    return pool


def teach(train: pd.DataFrame, pool: pd.DataFrame, teacher: str) -> tuple[np.ndarray, pd.DataFrame, Any]:
    """Out-of-fold teacher rows for `train`, the pool pseudo-labelled, and the teacher fit on all of `train`."""
    rows = np.full((len(train), 3), np.nan)
    for inner, held in grouped_folds(train, TEACHER_INNER_FOLDS, seed=0):
        model = create(teacher).fit(train.iloc[inner].reset_index(drop=True))
        rows[held] = mirror_average(model, train.iloc[held].reset_index(drop=True))
    model = create(teacher).fit(train)
    pseudo, report = pseudo_label(pool, mirror_average(model, pool))
    print(f"  teacher: {report.line()}", flush=True)
    return rows, pseudo, model


def fit_student(options: dict[str, str], train: pd.DataFrame, teacher_rows: np.ndarray | None = None) -> Any:
    return fit_with_teacher(create("cross-encoder", options), train, teacher_rows, ALPHA)


def distil(options: dict[str, str], train: pd.DataFrame, rows: np.ndarray, pseudo: pd.DataFrame) -> Any:
    data = pd.concat([train, pseudo], ignore_index=True)
    teacher_rows = np.vstack([rows, np.full((len(pseudo), 3), np.nan)])
    return fit_student({**options, "alpha": str(ALPHA)}, data, teacher_rows)


def autoj(data: Path) -> pd.DataFrame:
    battles, _ = read_battles(data / "autoj" / "testdata_pairwise.jsonl")
    return battles.reset_index(drop=True)


def lodo_rows(data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """finetune_cpu lodo's rows for Auto-J: 600 training battles of the other sets, 300 Auto-J test battles."""
    battles = load_sets(data).battles
    train, test = lodo_split(battles, "autoj", 600, 300, 0)
    return battles.iloc[train].reset_index(drop=True), battles.iloc[test].reset_index(drop=True)


def stage_cv(args: argparse.Namespace, options: dict[str, str]) -> dict[str, Any]:
    battles = autoj(args.data)
    pool = build_pool(args.data, args.pool, args.kaggle_rows, battles)
    out: dict[str, Any] = {}
    for k, split in enumerate(in_domain_splits(battles, 5, 0)):
        if args.only and f"fold{k}" not in args.only:
            continue
        train, test = battles.iloc[split.train].reset_index(drop=True), battles.iloc[split.test].reset_index(drop=True)
        started = time.perf_counter()
        rows, pseudo, teacher = teach(train, pool, args.teacher)
        teacher_s = time.perf_counter() - started
        started = time.perf_counter()
        student = distil(options, train, rows, pseudo)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        proba = student.predict_proba(test)
        out[f"fold{k}"] = {
            "train": len(train),
            "pool": len(pseudo),
            "test": len(test),
            "teacher": scores(test, mirror_average(teacher, test)),
            "distilled": scores(test, proba),
            "teacher_seconds": teacher_s,
            "fit_seconds": fit_s,
            "predict_seconds": time.perf_counter() - started,
        }
        print(f"fold{k}", json.dumps(out[f"fold{k}"]), flush=True)
    return out


def stage_lodo(args: argparse.Namespace, options: dict[str, str]) -> dict[str, Any]:
    train, test = lodo_rows(args.data)
    pool = build_pool(args.data, args.pool, args.kaggle_rows, autoj(args.data))
    pool = pool[~pool["id"].isin(set(train["id"]))].reset_index(drop=True)
    print(f"leave Auto-J out: train {len(train)} ({train['source'].value_counts().to_dict()}), test {len(test)}")
    started = time.perf_counter()
    rows, pseudo, teacher = teach(train, pool, args.teacher)
    out: dict[str, Any] = {"train": len(train), "pool": len(pseudo), "test": len(test)}
    out["teacher"] = {**scores(test, mirror_average(teacher, test)), "seconds": time.perf_counter() - started}
    print(line("teacher (embed)", out["teacher"], out["teacher"]["seconds"]), flush=True)
    for name in ("labels", "distilled"):
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        student = fit_student(options, train) if name == "labels" else distil(options, train, rows, pseudo)
        out[name] = {**scores(test, student.predict_proba(test)), "seconds": time.perf_counter() - started}
        print(line(f"{name} student", out[name], out[name]["seconds"]), flush=True)
    return out


def stage_folds(args: argparse.Namespace, options: dict[str, str]) -> dict[str, Any]:
    train, test = lodo_rows(args.data)
    run = args.out / "folds"
    lora = {**options, **LORA}
    started = time.perf_counter()
    report = train_folds(lambda: create("cross-encoder", lora), train, 3, run, seed=0)
    print("\n".join(report.lines()), f"({time.perf_counter() - started:.0f} s)", flush=True)
    folds = [run / f"fold-{i}" for i in range(3)]
    for method in ("adapters", "deltas"):
        target = run / f"averaged-{method}"
        if not target.exists():
            print(average_folds(list(folds), target, method).line())  # type: ignore[arg-type]
    per_fold = [load(d).predict_proba(test) for d in folds]
    variants = {
        "fold 0 alone": per_fold[0],
        "fold 1 alone": per_fold[1],
        "fold 2 alone": per_fold[2],
        "fold ensemble": np.mean(per_fold, axis=0),
        "averaged adapters": load(run / "averaged-adapters").predict_proba(test),
        "averaged deltas": load(run / "averaged-deltas").predict_proba(test),
    }
    out: dict[str, Any] = {"options": lora, "train": len(train), "test": len(test)}
    print(f"Auto-J ({len(test)} battles), 3 fold students trained on {len(train)} battles of the other sets:")
    for name, proba in variants.items():
        out[name] = scores(test, proba)
        print(line(name, out[name]), flush=True)
    return out


def timed(command: list[str], threads: int) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def stage_wall(args: argparse.Namespace, options: dict[str, str]) -> dict[str, Any]:
    train, test = lodo_rows(args.data)
    run = args.out / "wall"
    run.mkdir(parents=True, exist_ok=True)
    write_battles(train.head(200), run / "train.parquet")
    write_battles(test, run / "test.parquet")
    binary = Path(sys.executable).parent
    one = [sys.executable, str(binary / "arenapref")]
    two = [str(binary / "torchrun"), "--standalone", "--nproc_per_node", "2", str(binary / "arenapref")]
    settings = [f"--set={k}={v}" for k, v in options.items()]
    out: dict[str, Any] = {"train_battles": 200, "predict_battles": len(test)}
    for name, prefix, threads in (
        ("1 process, 1 thread", one, 1),
        ("2 processes, 1 thread each", two, 1),
        ("1 process, 2 threads", one, 2),
    ):
        target = run / name.replace(" ", "-").replace(",", "")
        seconds = timed(
            [*prefix, "train", str(run / "train.parquet"), "-m", "cross-encoder", *settings, "-o", str(target)], threads
        )
        out[f"train: {name}"] = seconds
        print(f"  train 200 battles, {name}: {seconds:.1f} s", flush=True)
    base = out["train: 1 process, 1 thread"]
    out["train speed-up, 2 processes vs 1 (1 thread each)"] = base / out["train: 2 processes, 1 thread each"]
    out["train speed-up, 2 processes vs 1 process with 2 threads"] = (
        out["train: 1 process, 2 threads"] / out["train: 2 processes, 1 thread each"]
    )
    model = run / "1-process-1-thread"
    for name, prefix in (("1", one), ("2", two)):
        target = run / f"pseudo-{name}.parquet"
        out[f"pseudo-label: {name} process(es)"] = timed(
            [*prefix, "pseudo-label", str(model), str(run / "test.parquet"), "-o", str(target)], 1
        )
    first, second = (pd.read_parquet(run / f"pseudo-{n}.parquet") for n in ("1", "2"))
    out["pseudo-label: same ids in the same order"] = bool((first["id"].to_numpy() == second["id"].to_numpy()).all())
    soft = list(SOFT_COLUMNS)
    out["pseudo-label: max |p1 - p2|"] = float(np.abs(first[soft].to_numpy() - second[soft].to_numpy()).max())
    for key, value in out.items():
        print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["cv", "lodo", "folds", "wall"])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--pool", type=Path, default=Path("bench/cache/kaggle_scale.csv"), help="Kaggle-scale CSV")
    parser.add_argument("--kaggle-rows", type=int, default=200, help="Kaggle-scale rows in the pool")
    parser.add_argument("--teacher", default="embed")
    parser.add_argument("--set", action="append", default=[], help="student option KEY=VALUE")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), help="cv: fold0,...; lodo: labels,distilled")
    parser.add_argument("--out", type=Path, default=Path("out/bench12"))
    args = parser.parse_args()
    if args.stage in ("cv", "lodo") and not args.pool.is_file():
        from kaggle_scale import build_kaggle_scale  # type: ignore[import-not-found]

        build_kaggle_scale(args.data, args.pool)
    options = {**STUDENT, **dict(item.split("=", 1) for item in args.set)}
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{args.stage}: student cross-encoder {options}; teacher {args.teacher}", flush=True)
    started = time.perf_counter()
    result = {"cv": stage_cv, "lodo": stage_lodo, "folds": stage_folds, "wall": stage_wall}[args.stage](args, options)
    target = args.out / f"{args.stage}.json"
    previous = json.loads(target.read_text()) if target.is_file() else {}
    target.write_text(json.dumps({**previous, **result}, indent=1, default=str))
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
