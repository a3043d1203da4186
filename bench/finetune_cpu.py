"""Benchmark (not a test): the fine-tuned models at CPU scale, on stated subsets, against the prior on the same rows.

- `lodo`: leave one dataset out with the cross-encoder: for every dataset with >= 200 labelled rows, train on a
  random `--max-train` battles of the other datasets (prompts shared with the held-out one removed, as
  `arenapref bench` does) and score a random `--max-test` of the held-out dataset's labelled battles;
- `cv`: the cross-encoder in 5-fold cross-validation grouped by prompt (the folds `arenapref bench` uses) on a
  random `--subset` of Auto-J, each fold printed as it finishes;
- `llm`: an LLM + LoRA (default: the bundled SmolLM2-135M) on `--train` Auto-J battles, scored on `--test` Auto-J
  battles of other prompts, with seconds per 1,000 battles for training and for prediction (both orders).

    python bench/finetune_cpu.py lodo --data ../shared/data --max-train 300 --max-test 200 --out out/ft_lodo.json
    python bench/finetune_cpu.py cv --data ../shared/data --subset 300 --set max_length=128
    python bench/finetune_cpu.py cv --data ../shared/data --subset 100000 --only fold3,fold4   # resume a long run
    python bench/finetune_cpu.py llm --data ../shared/data --train 120 --test 200 --set max_length=96
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.folds import grouped_folds
from arenapref.data.io import read_battles
from arenapref.evaluation.metrics import Scores, score
from arenapref.evaluation.protocols import cap_train, family, transfer_families, transfer_split
from arenapref.evaluation.sets import load_sets
from arenapref.models.registry import create


def evaluate(name: str, options: dict[str, str], train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    """Fit `name` and the prior on `train`, score both on `test` (2-way sets with the tie folded out)."""
    start = time.perf_counter()
    model = create(name, options).fit(train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    proba = model.predict_proba(test)
    predict_s = time.perf_counter() - start
    tuned = held_out_score(test, proba)
    prior = held_out_score(test, create("prior").fit(train).predict_proba(test))
    return {
        "train": len(train),
        "test": len(test),
        "classes": 3 if bool(test["tie_allowed"].all()) else 2,
        "accuracy": tuned.accuracy,
        "log_loss": tuned.log_loss,
        "prior_log_loss": prior.log_loss,
        "prior_accuracy": prior.accuracy,
        "fit_seconds": fit_s,
        "predict_seconds": predict_s,
        "train_s_per_1000": 1000 * fit_s / len(train),
        "predict_s_per_1000": 1000 * predict_s / len(test),
        "training": getattr(model, "training", {}),
    }


def held_out_score(test: pd.DataFrame, proba: np.ndarray) -> Scores:
    """Accuracy and log loss on the labelled test rows; 2-way sets fold the tie out."""
    return score(test["label"].to_numpy(dtype=int), proba, not bool(test["tie_allowed"].all()))


def lodo_split(
    battles: pd.DataFrame, held_out: str, max_train: int, max_test: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of a leave-one-dataset-out run: at most `max_train` battles of the other sets (none sharing a
    prompt with the held-out set) and a seeded draw of at most `max_test` held-out battles, in file order."""
    split = cap_train(transfer_split(battles, held_out), max_train, seed)
    test = np.random.default_rng(seed).choice(split.test, min(max_test, len(split.test)), replace=False)
    return split.train, np.sort(test)


def lodo(args: argparse.Namespace, options: dict[str, str]) -> dict[str, Any]:
    battles = load_sets(args.data).battles
    out = {}
    for held_out in transfer_families(battles):
        if args.only and held_out not in args.only:
            continue
        train, test = lodo_split(battles, held_out, args.max_train, args.max_test, args.seed)
        train_sources = battles.iloc[train]["source"].map(family).value_counts().to_dict()
        result = evaluate(
            "cross-encoder",
            options,
            battles.iloc[train].reset_index(drop=True),
            battles.iloc[test].reset_index(drop=True),
        )
        out[held_out] = {**result, "train_datasets": train_sources}
        print(held_out, json.dumps({k: v for k, v in result.items() if k != "training"}), flush=True)
    return out


def cv(args: argparse.Namespace, options: dict[str, str]) -> dict[str, Any]:
    from arenapref.evaluation.protocols import in_domain_splits

    battles, _ = read_battles(Path(args.data) / "autoj" / "testdata_pairwise.jsonl")
    rng = np.random.default_rng(args.seed)
    battles = battles.iloc[np.sort(rng.choice(len(battles), min(args.subset, len(battles)), replace=False))]
    battles = battles.reset_index(drop=True)
    out = {}
    for k, split in enumerate(in_domain_splits(battles, 5, args.seed)):
        if args.only and f"fold{k}" not in args.only:
            continue
        train, test = battles.iloc[split.train].reset_index(drop=True), battles.iloc[split.test].reset_index(drop=True)
        result = evaluate("cross-encoder", options, train, test)
        out[f"fold{k}"] = result
        print(f"fold{k}", json.dumps({k: v for k, v in result.items() if k != "training"}), flush=True)
    return out


def llm(args: argparse.Namespace, options: dict[str, str]) -> dict[str, Any]:
    battles, _ = read_battles(Path(args.data) / "autoj" / "testdata_pairwise.jsonl")
    train_idx, test_idx = next(grouped_folds(battles, n_splits=4, seed=args.seed))
    rng = np.random.default_rng(args.seed)
    train = battles.iloc[np.sort(rng.choice(train_idx, args.train, replace=False))].reset_index(drop=True)
    test = battles.iloc[np.sort(rng.choice(test_idx, args.test, replace=False))].reset_index(drop=True)
    result = evaluate("llm", options, train, test)
    print("autoj", json.dumps({k: v for k, v in result.items() if k != "training"}), flush=True)
    return {"autoj": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["lodo", "cv", "llm"])
    parser.add_argument("--subset", type=int, default=300)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--max-train", type=int, default=300)
    parser.add_argument("--max-test", type=int, default=200)
    parser.add_argument("--train", type=int, default=120)
    parser.add_argument("--test", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], help="model option KEY=VALUE")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        help="comma-separated folds (cv: fold0,...) or held-out sets (lodo) to run; each fit has its own seed and "
        "data, so a run split this way does the same fits as one run",
    )
    args = parser.parse_args()
    options = dict(item.split("=", 1) for item in args.set)
    started = time.perf_counter()
    result = {"lodo": lodo, "cv": cv, "llm": llm}[args.what](args, options)
    summary = {
        "what": args.what,
        "options": options,
        "args": {k: str(v) for k, v in vars(args).items()},
        "seconds": time.perf_counter() - started,
        "results": result,
    }
    print(f"total {summary['seconds']:.1f} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=1, default=str))


if __name__ == "__main__":
    main()
