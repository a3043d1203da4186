"""The format registry: each reader declares the columns that identify it and a function to the battle table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from arenapref.data.report import ReadReport

Convert = Callable[[pd.DataFrame, ReadReport, str], pd.DataFrame]


@dataclass(frozen=True)
class Format:
    """A readable format: `signature` columns must all be present in the raw records for detection."""

    name: str
    signature: frozenset[str]
    convert: Convert  # (raw records, report, source name) -> battle table (conformed)
    description: str = ""


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


def detect(columns: set[str]) -> Format | None:
    """The format whose signature matches the columns, preferring the most specific (largest) signature."""
    matches = [f for f in FORMATS.values() if f.signature <= columns]
    return max(matches, key=lambda f: len(f.signature)) if matches else None
