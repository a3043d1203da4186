"""Teachers: any model directory (its mirror-averaged predictions) or a predictions file in Kaggle's submission
format (id, winner_model_a, winner_model_b, winner_tie), aligned to the battles by id.

Mirror averaging (swap test-time augmentation): p = (f(x) + mirror(f(swap(x)))) / 2, so a teacher's verdict never
depends on which answer came first, whatever the model. A predictions file is taken as given (it cannot be
re-run on swapped input); write it with `arenapref predict`, whose models already average both orders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.errors import DataError
from arenapref.data.schema import LABEL_NAMES
from arenapref.models.base import META_FILE, mirror_average
from arenapref.models.errors import ModelDirError
from arenapref.pipeline.distributed import predict_sharded

PROBA_TOLERANCE = 1e-3  # a predictions row must sum to 1 within this


def is_model_dir(path: str | Path) -> bool:
    return (Path(path) / META_FILE).is_file()


def check_teacher(
    source: str | Path, battles: pd.DataFrame, where: str | None = None, field: str | None = None
) -> None:
    """What can be checked of a teacher without predicting: a model directory's model.json and recorded files
    (ModelDirError), or a predictions file holding every battle's id (DataError). A path that is neither is a
    DataError naming `where` and `field` (a recipe's) when given, else the path."""
    from arenapref.models.manifest import checked_manifest
    from arenapref.models.registry import model_class

    path = Path(source)
    if not path.exists() and where is not None:
        raise DataError(where, f"{path}: no such model directory or predictions file", field=field)
    if path.is_dir():
        meta = checked_manifest(path)
        if model_class(meta.model) is None:
            raise ModelDirError(f"{path}: unknown model type {meta.model!r}")
    else:
        read_predictions(path, battles["id"])


def teacher_proba(source: str | Path, battles: pd.DataFrame) -> np.ndarray:
    """(n, 3) teacher probabilities for the battles, row-aligned: from a model directory (mirror-averaged, rows
    shared across processes under torchrun) or from a predictions file (by id)."""
    source = Path(source)
    if source.is_dir():
        from arenapref.models.registry import load

        model = load(source)  # ModelDirError when it is no model directory
        return predict_sharded(lambda rows: mirror_average(model, rows), battles)
    return read_predictions(source, battles["id"])


def read_predictions(path: str | Path, ids: pd.Series) -> np.ndarray:
    """A Kaggle submission CSV's probabilities for `ids`, in their order. DataError (file, row, field) for missing
    columns, non-numbers, rows that are no distribution, conflicting duplicate ids, and ids absent from the file."""
    path = Path(path)
    if not path.exists():
        raise DataError(str(path), "no such model directory or predictions file")
    if not path.is_file():
        raise DataError(str(path), "not a model directory or a regular predictions file")
    try:
        frame = pd.read_csv(path, dtype={"id": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(str(path), f"unreadable CSV ({exc})") from None
    for column in ("id", *LABEL_NAMES):
        if column not in frame.columns:
            raise DataError(str(path), "not a predictions file (Kaggle submission columns expected)", field=column)
    values = frame[list(LABEL_NAMES)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    for check, message in (
        (np.isnan(values), "not a number"),
        (values < 0, "negative probability"),
        (values > 1, "probability above 1"),
    ):
        if check.any():
            row, col = np.argwhere(check)[0]
            raise DataError(str(path), message, row=int(row) + 1, field=LABEL_NAMES[col])
    off = np.abs(values.sum(axis=1) - 1) > PROBA_TOLERANCE
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise DataError(str(path), f"probabilities sum to {values[row].sum():.4f}, not 1", row=row + 1)
    table = pd.DataFrame(values, index=frame["id"].astype(str), columns=list(LABEL_NAMES))
    duplicated = table.index.duplicated(keep=False)
    if duplicated.any():
        dupes = table[duplicated]
        if (dupes.groupby(level=0).nunique() > 1).any().any():
            first = str(dupes.index[0])
            raise DataError(str(path), f"id {first!r} appears with different probabilities", field="id")
        table = table[~table.index.duplicated()]
    wanted = ids.astype(str)
    missing = ~wanted.isin(table.index)
    if missing.any():
        shown = ", ".join(repr(i) for i in wanted[missing].unique()[:3])
        raise DataError(
            str(path),
            f"{int(missing.sum()):,} of {len(wanted):,} battle ids missing from the file (e.g. {shown})",
            field="id",
        )
    return table.loc[wanted.to_numpy()].to_numpy(dtype=float)
