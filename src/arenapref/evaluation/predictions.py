"""Kaggle-format prediction files (id, winner_model_a, winner_model_b, winner_tie): read, check, align to truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.errors import DataError
from arenapref.data.schema import LABEL_NAMES


def read_predictions(path: str | Path) -> pd.DataFrame:
    """The file as a table `id` + the three probability columns; DataError names the row and field at fault."""
    path = Path(path)
    if not path.is_file():
        raise DataError(str(path), "no such file")
    try:
        raw = pd.read_csv(path, dtype={"id": str}, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(str(path), f"not a readable CSV ({exc})") from None
    missing = [c for c in ("id", *LABEL_NAMES) if c not in raw.columns]
    if missing:
        raise DataError(str(path), f"missing column(s) {missing}; a Kaggle submission has id,{','.join(LABEL_NAMES)}")
    for col in LABEL_NAMES:
        values = pd.to_numeric(raw[col], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)) | (values.to_numpy(dtype=float) < 0))
        if len(bad):
            raise DataError(str(path), f"expected a probability >= 0, got {raw[col].iloc[bad[0]]!r}", bad[0] + 1, col)
        raw[col] = values.astype(float)
    zero = np.flatnonzero(raw[list(LABEL_NAMES)].sum(axis=1).to_numpy() <= 0)
    if len(zero):
        raise DataError(str(path), "the three probabilities sum to 0", int(zero[0]) + 1, LABEL_NAMES[0])
    empty = np.flatnonzero(raw["id"].isna().to_numpy())
    if len(empty):
        raise DataError(str(path), "empty id", int(empty[0]) + 1, "id")
    dup = np.flatnonzero(raw["id"].duplicated().to_numpy())
    if len(dup):
        raise DataError(str(path), f"duplicate id {raw['id'].iloc[dup[0]]!r}", int(dup[0]) + 1, "id")
    return raw[["id", *LABEL_NAMES]]


def align(predictions: pd.DataFrame, truth_ids: pd.Series, pred_path: str | Path) -> np.ndarray:
    """(n, 3) probabilities in the order of `truth_ids`; every truth id needs one prediction and vice versa."""
    by_id = predictions.set_index("id")
    truth = truth_ids.astype(str)
    absent = truth[~truth.isin(by_id.index)]
    if len(absent):
        shown = ", ".join(absent.head(5))
        raise DataError(str(pred_path), f"no prediction for {len(absent)} truth id(s) (first: {shown})", field="id")
    extra = np.flatnonzero(~predictions["id"].isin(truth).to_numpy())
    if len(extra):
        raise DataError(
            str(pred_path),
            f"id {predictions['id'].iloc[extra[0]]!r} is not in the truth file ({len(extra)} such rows)",
            int(extra[0]) + 1,
            "id",
        )
    return by_id.loc[truth, list(LABEL_NAMES)].to_numpy(dtype=float)
