"""The files a report or leaderboard reads, kept per file so that what a file lacks can be named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.errors import DataError
from arenapref.data.io import expand_paths, read_battles
from arenapref.data.report import ReadReport
from arenapref.data.schema import conform, targets


@dataclass
class InputFile:
    """One file read into the battle table, with its read report."""

    path: Path
    battles: pd.DataFrame
    report: ReadReport

    @property
    def named(self) -> np.ndarray:
        """Rows with both model names."""
        return (self.battles["model_a"].notna() & self.battles["model_b"].notna()).to_numpy()

    @property
    def labelled(self) -> np.ndarray:
        """Rows with a hard or soft label."""
        return targets(self.battles).sum(axis=1) > 0

    def missing(self, models: bool, labels: bool) -> list[str]:
        """The needed fields that no row of this file has."""
        out = []
        if models and not self.named.any():
            out += ["model_a", "model_b"]
        if labels and not self.labelled.any():
            out.append("label")
        return out

    def describe_missing(self, fields: list[str]) -> str:
        return f"{self.path} [{self.report.format}]: no row has {' / '.join(fields)} ({len(self.battles)} rows read)"


def read_inputs(paths: Iterable[str | Path], fmt: str | None = None) -> list[InputFile]:
    """Every file named, and the data files inside folders named, each read with its report."""
    files = expand_paths(paths)
    if not files:
        raise DataError(", ".join(map(str, paths)), "no data files found")
    return [InputFile(path, *read_battles(path, fmt)) for path in files]


def combine(inputs: list[InputFile]) -> pd.DataFrame:
    """All files' battles in one table."""
    return conform(pd.concat([i.battles for i in inputs], ignore_index=True))


def rating_battles(inputs: list[InputFile]) -> tuple[pd.DataFrame, list[str]]:
    """Battles of the files that have model names and labels, and one line per file left out (and why).

    Raises DataError naming the files and the missing fields when no file has both."""
    kept, skipped = [], []
    for inp in inputs:
        missing = inp.missing(models=True, labels=True)
        if not missing and not (inp.named & inp.labelled).any():
            missing = ["model_a / model_b and label on the same row"]
        if missing:
            skipped.append(inp.describe_missing(missing))
        else:
            kept.append(inp)
    if not kept:
        paths = ", ".join(str(i.path) for i in inputs)
        reasons = "; ".join(skipped)
        raise DataError(paths, f"a leaderboard needs battles between named models with a label: {reasons}")
    return combine(kept), skipped
