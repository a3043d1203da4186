"""What the kit runs on Kaggle once arenapref is installed: predict test.csv, write submission.csv, time it.

Every id of the test file gets a row: a battle the reader had to drop (counted in its report) gets the mean
prediction, and the count is printed. Swap TTA (mean of the prediction and the mirrored prediction of the swapped
battle) runs for models that do not already average both orders inside (`position_symmetric`: the fast and embed
models, the fine-tuned transformers and embed-mlp do).

Time: after the first batches the rows per second and the projection for 25,000 rows are printed, and the run stops
with a clear message when the projection passes the time limit (budget.TimeBudget). GPUs: a fine-tuned model on a
machine with several GPUs (Kaggle's 2 x T4) predicts with one process per GPU (`torchrun ... arenapref predict`,
each process a shard, float16 on a T4: models.finetuned.precision); on one GPU or the CPU, in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.io import read_battles
from arenapref.data.submission import write_submission
from arenapref.kaggle.budget import KAGGLE_HOURS, KAGGLE_ROWS, TimeBudget, batch_bounds
from arenapref.kaggle.errors import KitError
from arenapref.kaggle.modelcopy import CORE_MODELS
from arenapref.models import registry
from arenapref.models.base import PreferenceModel, mirror_average, read_meta

BATCH = 5_000
FINE_TUNED = frozenset({"cross-encoder", "llm"})


def make_submission(
    model_dir: Path,
    test: Path,
    output: Path,
    tta: str = "auto",
    project_rows: int = KAGGLE_ROWS,
    time_limit_hours: float = KAGGLE_HOURS,
    gpus: int | None = None,
    options: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Predict every battle of `test` with the model in `model_dir`, write Kaggle's submission, print timings;
    OverBudget (a KitError) when the projection for `project_rows` passes `time_limit_hours`. `gpus`: how many to
    use (default: every CUDA GPU, for a fine-tuned model; 2 or more launch one process per GPU); `options`: applied
    before the weights load (`predict --set`: quantization=8bit, device_map=auto, predict_max_tokens, ...)."""
    started = time.perf_counter()
    model_type = str(read_meta(model_dir).get("model"))
    options = options or {}
    gpus = gpus if gpus is not None else cuda_devices(model_type)
    if gpus >= 2 and options.get("device_map") != "auto":  # a split model is one process over every card
        return _launched_submission(model_dir, test, output, gpus, (project_rows, time_limit_hours), options, started)
    model = registry.load(model_dir, options or None)
    load_s = time.perf_counter() - started
    averaged = model_type in CORE_MODELS or model.position_symmetric  # both orders averaged inside already
    use_tta = {"auto": not averaged, "on": True, "off": False}[tta]
    mark = time.perf_counter()
    battles, report = read_battles(test)
    read_s = time.perf_counter() - mark
    for line in report.lines():
        print(line)
    mark = time.perf_counter()
    budget = TimeBudget(project_rows, time_limit_hours, spent_before=load_s + read_s)
    proba = predict(model, battles, use_tta, budget)
    predict_s = time.perf_counter() - mark
    ids, proba, filled = _every_id(test, battles["id"].astype(str), proba, report.rows_read != report.rows_kept)
    write_submission(ids, proba, output)
    total_s = time.perf_counter() - started
    per_row = (read_s + predict_s) / max(len(ids), 1)
    projected_s = round(load_s + per_row * project_rows, 1)
    result: dict[str, Any] = {
        "model": model_type,
        "rows": len(ids),
        "filled": filled,
        "tta": use_tta,
        "load_s": round(load_s, 3),
        "read_s": round(read_s, 3),
        "predict_s": round(predict_s, 3),
        "total_s": round(total_s, 3),
        "projected_rows": project_rows,
        "projected_s": projected_s,
    }
    if filled:
        print(f"{filled:,} ids the reader dropped got the mean prediction")
    print(
        f"wrote {output}: {len(ids):,} rows in {total_s:.1f} s (load {load_s:.1f} s, read {read_s:.1f} s, "
        f"predict {predict_s:.1f} s, swap TTA {'on' if use_tta else 'off'}); projected for {project_rows:,} rows: "
        f"{projected_s:.0f} s ({projected_s / 60:.1f} min)"
    )
    print("timing: " + json.dumps(result))
    return result


def predict(model: PreferenceModel, battles: pd.DataFrame, tta: bool, budget: TimeBudget | None = None) -> np.ndarray:
    """Probabilities batch by batch (a small first batch, so the budget is judged early); with tta, averaged with
    the mirrored prediction of the swapped battles."""
    parts = []
    for start, stop in batch_bounds(len(battles), BATCH):
        chunk = battles.iloc[start:stop]
        proba = mirror_average(model, chunk) if tta else np.asarray(model.predict_proba(chunk), dtype=float)
        parts.append(proba)
        print(f"predicted {stop:,} / {len(battles):,}", flush=True)
        if budget is not None:
            budget.advance(len(chunk))
    return np.vstack(parts) if parts else np.zeros((0, 3))


def cuda_devices(model_type: str) -> int:
    """CUDA GPUs a model of this type can use (0 for models that do not run on a GPU; torch is imported only for
    the fine-tuned ones)."""
    if model_type not in FINE_TUNED:
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _launched_submission(
    model_dir: Path,
    test: Path,
    output: Path,
    gpus: int,
    budget: tuple[int, float],
    options: dict[str, str],
    started: float,
) -> dict[str, Any]:
    """One `arenapref predict` process per GPU under torchrun (rank 0 writes the rows in input order), then every
    id of the test file (mean prediction for rows the reader dropped) into `output`."""
    with tempfile.TemporaryDirectory(prefix="arenapref-kit-") as folder:
        part = Path(folder) / "submission.csv"
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(gpus), "-m", "arenapref"]
        command += ["predict", str(model_dir), str(test), "-o", str(part), "--time-limit", str(budget[1])]
        command += ["--project-rows", str(budget[0])]
        command += [arg for key, value in options.items() for arg in ("--set", f"{key}={value}")]
        print("running: " + " ".join(command), flush=True)
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            raise KitError(f"{gpus}-process prediction failed (exit status {done.returncode}; its output is above)")
        predicted = pd.read_csv(part, dtype={"id": str})
    _, report = read_battles(test)
    proba = predicted[["winner_model_a", "winner_model_b", "winner_tie"]].to_numpy(dtype=float)
    ids, proba, filled = _every_id(test, predicted["id"], proba, report.rows_read != report.rows_kept)
    write_submission(ids, proba, output)
    total_s = time.perf_counter() - started
    result = {"rows": len(ids), "filled": filled, "processes": gpus, "total_s": round(total_s, 3)}
    print(f"wrote {output}: {len(ids):,} rows in {total_s:.1f} s with {gpus} processes; timing: {json.dumps(result)}")
    return result


def _every_id(test: Path, kept: pd.Series, proba: np.ndarray, dropped: bool) -> tuple[list[str], np.ndarray, int]:
    """All ids of the test file in its order; rows the reader dropped get the mean prediction."""
    if not dropped:
        return kept.tolist(), proba, 0
    ids = pd.read_csv(test, usecols=["id"], dtype=str)["id"].tolist()
    fill = proba.mean(axis=0) if len(proba) else np.full(3, 1 / 3)
    by_id = dict(zip(kept, proba, strict=True))
    rows = np.array([by_id.get(i, fill) for i in ids])
    return ids, rows / rows.sum(axis=1, keepdims=True), len(ids) - len(by_id)
