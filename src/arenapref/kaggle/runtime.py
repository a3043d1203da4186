"""What the kit runs on Kaggle once arenapref is installed: predict test.csv, write submission.csv, time it.

Every id of the test file gets a row: a battle the reader had to drop (counted in its report) gets the mean
prediction, and the count is printed. Swap TTA (mean of the prediction and the mirrored prediction of the swapped
battle) runs for models that do not already average both orders inside (`position_symmetric`: the fast and embed
models, the fine-tuned transformers and embed-mlp do).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.io import read_battles
from arenapref.data.submission import write_submission
from arenapref.kaggle.modelcopy import CORE_MODELS
from arenapref.models import registry
from arenapref.models.base import PreferenceModel, mirror_average, read_meta

KAGGLE_ROWS = 25_000
BATCH = 5_000


def make_submission(
    model_dir: Path, test: Path, output: Path, tta: str = "auto", project_rows: int = KAGGLE_ROWS
) -> dict[str, Any]:
    """Predict every battle of `test` with the model in `model_dir`, write Kaggle's submission, print timings."""
    started = time.perf_counter()
    model_type = str(read_meta(model_dir).get("model"))
    model = registry.load(model_dir)
    load_s = time.perf_counter() - started
    averaged = model_type in CORE_MODELS or model.position_symmetric  # both orders averaged inside already
    use_tta = {"auto": not averaged, "on": True, "off": False}[tta]
    mark = time.perf_counter()
    battles, report = read_battles(test)
    read_s = time.perf_counter() - mark
    for line in report.lines():
        print(line)
    mark = time.perf_counter()
    proba = predict(model, battles, use_tta)
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


def predict(model: PreferenceModel, battles: pd.DataFrame, tta: bool) -> np.ndarray:
    """Probabilities batch by batch; with tta, averaged with the mirrored prediction of the swapped battles."""
    parts = []
    for start in range(0, len(battles), BATCH):
        chunk = battles.iloc[start : start + BATCH]
        proba = mirror_average(model, chunk) if tta else np.asarray(model.predict_proba(chunk), dtype=float)
        parts.append(proba)
        print(f"predicted {min(start + BATCH, len(battles)):,} / {len(battles):,}", flush=True)
    return np.vstack(parts) if parts else np.zeros((0, 3))


def _every_id(test: Path, kept: pd.Series, proba: np.ndarray, dropped: bool) -> tuple[list[str], np.ndarray, int]:
    """All ids of the test file in its order; rows the reader dropped get the mean prediction."""
    if not dropped:
        return kept.tolist(), proba, 0
    ids = pd.read_csv(test, usecols=["id"], dtype=str)["id"].tolist()
    fill = proba.mean(axis=0) if len(proba) else np.full(3, 1 / 3)
    by_id = dict(zip(kept, proba, strict=True))
    rows = np.array([by_id.get(i, fill) for i in ids])
    return ids, rows / rows.sum(axis=1, keepdims=True), len(ids) - len(by_id)
