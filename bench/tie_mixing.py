"""Benchmark (not a test): does mixing 2-way training data (no tie class) hurt the tie calibration of a 3-way set?

Auto-J 5-fold cross-validation grouped by prompt (seed 0), each training fold either alone or mixed with all of
hh-rlhf (8,552 chosen/rejected pairs, tie_allowed False), for the fast model's separate tie head ("fast") and one
multiclass booster over all rows ("fast-multiclass"). Scores on the Auto-J test folds: 3-way log loss and
accuracy, the tie's binary log loss, and the mean predicted P(tie) against the observed tie rate.

    python bench/tie_mixing.py --data ../shared/data --out out/tie_mixing
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.metrics import log_loss

from arenapref.data.folds import grouped_folds
from arenapref.data.io import read_many
from arenapref.data.schema import conform, labels
from arenapref.models.registry import create

VARIANTS = (("fast", False), ("fast", True), ("fast-multiclass", False), ("fast-multiclass", True))


def run(data: Path, n_splits: int = 5, seed: int = 0) -> list[dict[str, Any]]:
    autoj, _ = read_many([data / "autoj"])
    extra, _ = read_many([data / "hh-rlhf"])
    y = labels(autoj)
    tie = (y == 2).astype(float)
    rows = []
    for model, mixed in VARIANTS:
        proba, start = np.zeros((len(autoj), 3)), time.perf_counter()
        for train, test in grouped_folds(autoj, n_splits, seed):
            table = conform(pd.concat([autoj.iloc[train], extra], ignore_index=True)) if mixed else autoj.iloc[train]
            proba[test] = create(model).fit(table).predict_proba(autoj.iloc[test])
        rows.append(
            {
                "model": model,
                "training": "Auto-J + hh-rlhf" if mixed else "Auto-J",
                "accuracy": float((proba.argmax(axis=1) == y).mean()),
                "log_loss": float(log_loss(y, proba, labels=[0, 1, 2])),
                "tie_log_loss": float(log_loss(tie, proba[:, 2], labels=[0, 1])),
                "mean_p_tie": float(proba[:, 2].mean()),
                "tie_rate": float(tie.mean()),
                "seconds": time.perf_counter() - start,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tie calibration of Auto-J with and without 2-way training rows.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("out/tie_mixing"))
    args = parser.parse_args(argv)
    rows = run(args.data)
    table = Table(title="Auto-J 5-fold CV: training folds alone or mixed with hh-rlhf (2-way)")
    for column in ("model", "training", "acc %", "log loss", "tie log loss", "mean P(tie)", "tie rate", "time s"):
        table.add_column(column, justify="left" if column in ("model", "training") else "right")
    for r in rows:
        table.add_row(
            str(r["model"]),
            str(r["training"]),
            f"{100 * r['accuracy']:.2f}",
            f"{r['log_loss']:.4f}",
            f"{r['tie_log_loss']:.4f}",
            f"{r['mean_p_tie']:.3f}",
            f"{r['tie_rate']:.3f}",
            f"{r['seconds']:.0f}",
        )
    Console(width=120).print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tie_mixing.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
