"""The submission's checks: Kaggle's columns, one row per test id, probabilities in [0, 1] summing to 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.schema import LABEL_NAMES
from arenapref.kaggle.errors import KitError

SUM_TOLERANCE = 1e-6


def validate_submission(submission: Path, test: Path) -> dict[str, Any]:
    """{rows, ids} when the submission is valid for `test`; KitError naming the file, row and field otherwise."""
    if not submission.is_file():
        raise KitError(f"{submission}: the notebook wrote no submission")
    ids = pd.read_csv(test, usecols=["id"], dtype=str)["id"]
    sub = pd.read_csv(submission, dtype={"id": str})
    expected = ["id", *LABEL_NAMES]
    if list(sub.columns) != expected:
        raise KitError(f"{submission}: columns {list(sub.columns)}, expected {expected}")
    duplicated = sub["id"].duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise KitError(f"{submission}: row {row + 2}: field id: id {sub['id'].iloc[row]} appears twice")
    missing = sorted(set(ids) - set(sub["id"]))
    extra = sorted(set(sub["id"]) - set(ids))
    if missing or extra:
        raise KitError(f"{submission}: {len(missing)} test ids missing (e.g. {missing[:3]}), {len(extra)} unknown")
    proba = sub[list(LABEL_NAMES)].to_numpy(dtype=float)
    bad = ~np.isfinite(proba) | (proba < 0) | (proba > 1)
    if bad.any():
        row, column = (int(v[0]) for v in np.nonzero(bad))
        raise KitError(f"{submission}: row {row + 2}: field {LABEL_NAMES[column]}: {proba[row, column]} not in [0, 1]")
    off = np.abs(proba.sum(axis=1) - 1) > SUM_TOLERANCE
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise KitError(f"{submission}: row {row + 2}: probabilities sum to {proba[row].sum():.8f}, not 1")
    return {"rows": len(sub), "ids": int(ids.nunique())}
