"""Reading and writing battle tables: format found from content (or given), one report per file."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from arenapref.data import readers as _readers  # noqa: F401  (registers the formats)
from arenapref.data.atomic import replacing
from arenapref.data.errors import DataError, quote
from arenapref.data.formats import FORMATS, Format, detect
from arenapref.data.records import load_records
from arenapref.data.report import ReadReport
from arenapref.data.schema import conform
from arenapref.data.submission import json_list

BATTLE_FORMAT = "battles"  # the format name of the battle table itself (readers/battles.py)
SKIPPED_NAMES = {"README.md", "LICENSE", ".DS_Store"}


SPLIT_SUFFIX = re.compile(r"[-_.](train|test|dev|valid|validation|val)$", re.IGNORECASE)


def source_name(path: Path) -> str:
    """A set's name from its path: the parent folder for files inside a data folder, else the file stem.

    In a folder of several sets the name is "folder/stem", the stem without a split suffix ("-test") unless a
    sibling file would then share the name: hh-rlhf/harmless-base-test.jsonl.gz -> "hh-rlhf/harmless-base".
    """
    stem = path.name.split(".")[0]
    parent = path.parent.name
    if parent and parent not in {".", ""} and stem.lower() in {"train", "test", "data"}:
        return parent
    if parent in {"", "."}:
        return stem
    siblings = _data_files(path.parent)
    if len(siblings) <= 1:
        return parent
    short = SPLIT_SUFFIX.sub("", stem)
    clash = any(SPLIT_SUFFIX.sub("", p.name.split(".")[0]) == short for p in siblings if p.name != path.name)
    return f"{parent}/{stem if clash else short}"


def _data_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and p.name not in SKIPPED_NAMES]


def read_battles(
    path: str | Path, fmt: str | None = None, source: str | None = None, max_unpacked: int | None = None
) -> tuple[pd.DataFrame, ReadReport]:
    """Read one file into the battle table, with the report of what was read, repaired and dropped.
    `max_unpacked`: the cap on decompressed bytes (data.limits; default $ARENAPREF_MAX_UNPACKED_BYTES or 512 MiB)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(str(path), "no such file" if not path.exists() else "not a regular file")
    if fmt is not None and fmt not in FORMATS:
        raise DataError(str(path), f"unknown format {fmt!r}; known: {', '.join(sorted(FORMATS))}")
    report = ReadReport(str(path), fmt or "?")
    raw = load_records(path, report, max_unpacked)
    columns = {str(c) for c in raw.columns}
    found = FORMATS[fmt] if fmt else detect(columns) or _closest(columns)
    if found is None:
        shown = ", ".join(quote(c) for c in sorted(c for c in columns if not c.startswith("__"))[:12])
        raise DataError(str(path), f"unknown format: no reader recognises the columns [{shown}]", hint="use --format")
    missing = sorted(found.signature - columns)
    if missing:
        raise DataError(str(path), f"format {found.name!r} needs columns {missing}", field=missing[0])
    report.format = found.name
    battles = found.convert(raw, report, source or source_name(path))
    if report.rows_read and not report.rows_kept:
        first = list(report.dropped.items())[:3]
        reasons = "; ".join(f"{ids[0]}{f' and {len(ids) - 1} more' if len(ids) > 1 else ''}: {r}" for r, ids in first)
        if len(report.dropped) > len(first):
            reasons += f"; {len(report.dropped) - len(first)} other reasons"
        raise DataError(str(path), f"no row could be read ({reasons})")
    return battles, report


def _closest(columns: set[str]) -> Format | None:
    """The format most of whose signature is present (at least half and two columns), to name what is missing."""
    scored = [(len(f.signature & columns) / len(f.signature), f) for f in FORMATS.values()]
    score, best = max(scored, key=lambda s: s[0], default=(0.0, None))
    if best is None or score < 0.5 or len(best.signature & columns) < 2:
        return None
    return best


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the data files found recursively inside folders named, in sorted order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.name not in SKIPPED_NAMES)
        else:
            out.append(p)
    return out


def read_many(paths: Iterable[str | Path], fmt: str | None = None) -> tuple[pd.DataFrame, list[ReadReport]]:
    """Read and concatenate several files (folders expanded)."""
    tables, reports = [], []
    for path in expand_paths(paths):
        df, rep = read_battles(path, fmt)
        tables.append(df)
        reports.append(rep)
    if not tables:
        raise DataError(", ".join(map(str, paths)), "no data files found")
    return conform(pd.concat(tables, ignore_index=True)), reports


#: Output suffix -> the battle table's file format (write_battles); the battle-table reader reads each back.
BATTLE_SUFFIXES = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".json": "json"}


def battle_file_format(path: str | Path) -> str:
    """The format write_battles writes at `path`, from its suffix; DataError for a suffix it does not write."""
    suffix = Path(path).suffix.lower()
    if suffix not in BATTLE_SUFFIXES:
        known = ", ".join(BATTLE_SUFFIXES)
        raise DataError(str(path), f"cannot tell the output format from {suffix or 'no suffix'!r}; use {known}")
    return BATTLE_SUFFIXES[suffix]


def write_battles(df: pd.DataFrame, path: str | Path, fmt: str | None = None) -> None:
    """The battle table in the format its suffix names (battle_file_format; `fmt` forces one): parquet (list
    columns kept), CSV (list columns as JSON text) or JSON / JSON lines records, every column (soft labels
    included) kept. Written whole or not at all (a temporary file renamed into place)."""
    fmt = fmt or battle_file_format(path)
    table = conform(df)
    with replacing(path) as tmp:
        if fmt == "parquet":
            table.to_parquet(tmp, index=False)
        elif fmt == "csv":
            listed = {c: table[c].map(json_list) for c in ("prompt", "response_a", "response_b")}
            table.assign(**listed).to_csv(tmp, index=False)
        else:
            table.to_json(tmp, orient="records", lines=fmt == "jsonl", force_ascii=False)
