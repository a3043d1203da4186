"""The benchmark's sets: every readable file of a data folder, grouped later by the `source` column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from arenapref.data.errors import DataError
from arenapref.data.io import expand_paths, read_battles
from arenapref.data.schema import conform


@dataclass
class BenchData:
    """The battles of every readable file, what was read, and the files that could not be read (with why)."""

    battles: pd.DataFrame
    files: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def load_sets(data_dir: Path) -> BenchData:
    """Read every data file under `data_dir`; a file no reader accepts is listed in `skipped`, never hidden."""
    tables, files, skipped = [], [], []
    for path in expand_paths([data_dir]):
        try:
            df, report = read_battles(path)
        except DataError as exc:
            skipped.append({"path": str(path), "error": str(exc)})
            continue
        tables.append(df)
        files.append({"path": str(path), "format": report.format, "rows": len(df), "dropped": report.rows_dropped})
    if not tables:
        raise DataError(str(data_dir), "no readable data files")
    return BenchData(conform(pd.concat(tables, ignore_index=True)), files, skipped)


def data_summary(data: BenchData, battles: pd.DataFrame) -> dict[str, Any]:
    """Files read and skipped; per source of `battles` (the rows used): rows, labelled, unlabelled (not scored),
    2-way or 3-way."""
    sources = {}
    for source, part in battles.groupby("source", sort=True):
        unlabelled = int(part["label"].isna().sum())
        sources[str(source)] = {
            "rows": len(part),
            "labelled": len(part) - unlabelled,
            "unlabelled_not_scored": unlabelled,
            "classes": 3 if part["tie_allowed"].any() else 2,
        }
    return {"files": data.files, "skipped_files": data.skipped, "sources": sources}
