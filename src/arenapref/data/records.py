"""Raw records from a file (CSV, JSON, JSONL, parquet; gzip or zip around them) as a pandas DataFrame.

The container and encoding are found from the bytes, not the file name. Lines of a JSONL file that do not parse
are dropped into the report with their row number; whole-file problems raise DataError.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import re
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import IO

import numpy as np
import orjson
import pandas as pd
import pyarrow.parquet as pq

from arenapref.data.errors import DataError
from arenapref.data.limits import max_unpacked_bytes, over_limit
from arenapref.data.report import ReadReport

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
BZ2_MAGIC = b"BZh"
PARQUET_MAGIC = b"PAR1"
_NOT_BLANK = re.compile(rb"[^\xef\xbb\xbf \t\r\n]")
_SKIPPED_LINE = re.compile(r"Skipping line (\d+): ([^\n]*)")


def read_bytes(path: Path, limit: int | None = None) -> tuple[bytes, str]:
    """The file's payload with any gzip/bz2/zip wrapper removed, and a note of the wrapper ('' if none).
    A payload that would unpack past `limit` bytes (data.limits) raises UnpackLimitError, decompressing no more."""
    cap = max_unpacked_bytes(limit)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    if raw.startswith(GZIP_MAGIC):
        return _unpack(path, "gzip", gzip.GzipFile(fileobj=io.BytesIO(raw)), cap), "gzip"
    if raw.startswith(BZ2_MAGIC):
        return _unpack(path, "bz2", bz2.BZ2File(io.BytesIO(raw)), cap), "bz2"
    if raw.startswith(ZIP_MAGIC):
        return _zip_member(path, raw, cap), "zip"
    return raw, ""


def _unpack(path: Path, kind: str, stream: io.BufferedIOBase | IO[bytes], cap: int) -> bytes:
    """At most `cap` bytes of a decompressing stream; more is an UnpackLimitError, corrupt data a DataError."""
    try:
        with stream:
            data = stream.read(cap + 1)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise DataError(str(path), f"corrupt {kind} data: {exc}") from None
    if len(data) > cap:
        raise over_limit(str(path), f"the {kind} data", cap)
    return data


def _zip_member(path: Path, raw: bytes, cap: int) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = [i for i in zf.infolist() if not i.filename.startswith("__MACOSX/") and not i.is_dir()]
            if len(infos) != 1:
                raise DataError(str(path), f"zip must hold exactly one data file, found {[i.filename for i in infos]}")
            if infos[0].file_size > cap:
                raise over_limit(str(path), f"zip member {infos[0].filename!r}", cap)
            return _unpack(path, "zip", zf.open(infos[0]), cap)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
        raise DataError(str(path), f"corrupt zip archive: {exc}") from None


def sniff_container(payload: bytes) -> str:
    """'parquet', 'json', 'jsonl' or 'csv' from the first bytes."""
    if payload.startswith(PARQUET_MAGIC):
        return "parquet"
    head = payload[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        # JSONL: the first line (however long) ends with "}", or (when it is broken) the next line opens an object
        start = _NOT_BLANK.search(payload)
        end = payload.find(b"\n", start.start() if start else 0)
        following = _NOT_BLANK.search(payload, end) if end >= 0 else None
        if following is None:
            return "json"
        first_line_closed = payload[:end].rstrip().endswith(b"}")
        return "jsonl" if first_line_closed or payload[following.start() : following.start() + 1] == b"{" else "json"
    return "csv"


def load_records(path: Path, report: ReadReport, max_unpacked: int | None = None) -> pd.DataFrame:
    """Every record of the file as one row; columns are the union of the records' keys. `max_unpacked` caps the
    decompressed size of a wrapper and of parquet's column data (data.limits)."""
    payload, wrapper = read_bytes(path, max_unpacked)
    if not payload.strip():
        raise DataError(str(path), "file is empty")
    if wrapper:
        report.notes.append(f"unwrapped {wrapper}")
    kind = sniff_container(payload)
    if kind == "parquet":
        return _read_parquet(path, payload, max_unpacked_bytes(max_unpacked))
    if kind == "csv":
        return _read_csv(path, payload, report)
    text = _decode(path, payload)
    if kind == "jsonl":
        return _read_jsonl(path, text, report)
    return _read_json(path, text)


def _read_parquet(path: Path, payload: bytes, cap: int) -> pd.DataFrame:
    """The parquet table, refused before reading when its column data unpacks past `cap` (from its footer)."""
    try:
        parquet = pq.ParquetFile(io.BytesIO(payload))
        meta = parquet.metadata
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if unpacked > cap:
            raise over_limit(str(path), "the parquet column data", cap)
        return parquet.read().to_pandas()
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataError(str(path), f"corrupt parquet file: {exc}") from None


def _decode(path: Path, payload: bytes) -> str:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise DataError(str(path), f"not UTF-8 text: byte 0x{payload[exc.start]:02x} at line {line}") from None


def _read_csv(path: Path, payload: bytes, report: ReadReport) -> pd.DataFrame:
    """All cells as Python str (object dtype; empty cells NaN). Parsed from the bytes: no decoded copy in memory.

    Lines with more fields than the header are dropped into the report (row = line number, header = 1).
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.BytesIO(payload),
                dtype=object,
                keep_default_na=False,
                na_values=[""],
                engine="c",
                encoding="utf-8",
                on_bad_lines="warn",
            )
    except UnicodeDecodeError:
        _decode(path, payload)  # raises DataError naming the line and byte
        raise DataError(str(path), "not UTF-8 text") from None
    except pd.errors.ParserError as exc:
        raise DataError(str(path), f"malformed CSV: {exc}") from None
    except pd.errors.EmptyDataError:
        raise DataError(str(path), "file is empty") from None
    skipped = [
        (int(line), detail)
        for w in caught
        if issubclass(w.category, pd.errors.ParserWarning)
        for line, detail in _SKIPPED_LINE.findall(str(w.message))
    ]
    df.attrs["row_offset"] = 2  # 1-based row numbers in messages count the header line
    if skipped:
        rows = np.arange(len(df)) + 2
        for line, detail in sorted(skipped):
            report.rows_read += 1
            report.drop(f"malformed CSV line ({detail})", f"row {line}")
            rows[rows >= line] += 1  # the records after a skipped line sit one line further down
        df["__row"] = rows
    return df


def _loads(line: str) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            return json.loads(line)  # accepts lone surrogates in \u escapes, which orjson rejects
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", line, 0) from None


def _read_jsonl(path: Path, text: str, report: ReadReport) -> pd.DataFrame:
    rows: list[dict] = []
    # split on "\n" only: str.splitlines() would also break at U+2028 and other characters valid in JSON strings
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = _loads(line)
        except json.JSONDecodeError as exc:
            report.rows_read += 1
            report.drop(f"invalid JSON ({exc.msg})", f"row {number}")
            continue
        if not isinstance(record, dict):
            report.rows_read += 1
            report.drop("record is not a JSON object", f"row {number}")
            continue
        record["__row"] = number
        rows.append(record)
    if not rows:
        raise DataError(str(path), "no JSON record could be parsed", row=1)
    return pd.DataFrame.from_records(rows)


def _read_json(path: Path, text: str) -> pd.DataFrame:
    try:
        doc = _loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(str(path), f"invalid JSON at column {exc.colno}: {exc.msg}", row=exc.lineno) from None
    if isinstance(doc, dict):
        doc = _records_of_object(doc)
        if isinstance(doc, pd.DataFrame):
            return doc
    if not isinstance(doc, list) or not doc:
        raise DataError(str(path), "JSON holds no list of records")
    bad = [i for i, r in enumerate(doc, start=1) if not isinstance(r, dict)]
    if bad:
        raise DataError(str(path), "record is not a JSON object", row=bad[0])
    df = pd.DataFrame.from_records(doc)
    df["__row"] = range(1, len(df) + 1)
    return df


def _records_of_object(doc: dict) -> list | pd.DataFrame:
    """A top-level JSON object: {"data": [records]}, column-oriented lists of scalars, or else one record."""
    lists = [v for v in doc.values() if isinstance(v, list)]
    if len(lists) == 1 and lists[0] and all(isinstance(r, dict) for r in lists[0]):
        return lists[0]
    columns = [v for v in doc.values() if isinstance(v, list) and not any(isinstance(x, (dict, list)) for x in v)]
    if doc and len(columns) == len(doc) and len({len(v) for v in columns}) == 1:
        df = pd.DataFrame(doc)
        df["__row"] = range(1, len(df) + 1)
        return df
    return [doc]
