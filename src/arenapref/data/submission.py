"""Kaggle files out: the submission (id, winner_model_a, winner_model_b, winner_tie) and train-format CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from arenapref.data.atomic import replacing
from arenapref.data.schema import LABEL_NAMES


def write_submission(ids: pd.Series | list[str], proba: np.ndarray, path: str | Path) -> Path:
    """Kaggle's submission CSV; rows in the given order, probabilities as given (n, 3) [A, B, tie]. Written whole
    or not at all (a temporary file renamed into place)."""
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] != 3 or len(proba) != len(ids):
        raise ValueError(f"expected ({len(ids)}, 3) probabilities, got {proba.shape}")
    out = pd.DataFrame({"id": list(ids)})
    for i, name in enumerate(LABEL_NAMES):
        out[name] = proba[:, i]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        out.to_csv(tmp, index=False)
    return path


def json_list(turns: Any) -> str:
    """A turn list (list or array) as JSON text, as Kaggle's CSV holds it."""
    return orjson.dumps(list(turns)).decode("utf-8")


def write_kaggle_train(battles: pd.DataFrame, path: str | Path) -> Path:
    """A battle table as Kaggle train.csv (one-hot winners where labelled; model names where known)."""
    out = pd.DataFrame(
        {
            "id": battles["id"],
            "model_a": battles["model_a"],
            "model_b": battles["model_b"],
            "prompt": battles["prompt"].map(json_list),
            "response_a": battles["response_a"].map(json_list),
            "response_b": battles["response_b"].map(json_list),
        }
    )
    labelled = battles["label"].notna().to_numpy()
    if labelled.any():  # one-hot where labelled; unlabelled rows get three empty cells
        label = battles["label"].to_numpy(dtype=float, na_value=np.nan)
        for i, name in enumerate(LABEL_NAMES):
            out[name] = pd.array(np.where(labelled, label == i, np.nan), dtype="Int8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        out.to_csv(tmp, index=False)
    return path
