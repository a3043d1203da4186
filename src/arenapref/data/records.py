"""Raw records from a file (CSV, JSON, JSONL, parquet; gzip or zip around them) as a pandas DataFrame.

The container and encoding are found from the bytes, not the file name. Lines of a JSONL file that do not parse
are dropped into the report with their row number; whole-file problems raise DataError.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import zipfile
from pathlib import Path

import orjson
import pandas as pd
import pyarrow.parquet as pq

from arenapref.data.errors import DataError
from arenapref.data.report import ReadReport

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
BZ2_MAGIC = b"BZh"
PARQUET_MAGIC = b"PAR1"


def read_bytes(path: Path) -> tuple[bytes, str]:
    """The file's payload with any gzip/bz2/zip wrapper removed, and a note of the wrapper ('' if none)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    if raw.startswith(GZIP_MAGIC):
        try:
            return gzip.decompress(raw), "gzip"
        except (OSError, EOFError) as exc:
            raise DataError(str(path), f"corrupt gzip data: {exc}") from None
    if raw.startswith(BZ2_MAGIC):
        try:
            return bz2.decompress(raw), "bz2"
        except (OSError, ValueError) as exc:
            raise DataError(str(path), f"corrupt bz2 data: {exc}") from None
    if raw.startswith(ZIP_MAGIC):
        return _zip_member(path, raw), "zip"
    return raw, ""


def _zip_member(path: Path, raw: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            names = [n for n in zf.namelist() if not n.startswith("__MACOSX/") and not n.endswith("/")]
            if len(names) != 1:
                raise DataError(str(path), f"zip must hold exactly one data file, found {names}")
            return zf.read(names[0])
    except zipfile.BadZipFile as exc:
        raise DataError(str(path), f"corrupt zip archive: {exc}") from None


def sniff_container(payload: bytes) -> str:
    """'parquet', 'json', 'jsonl' or 'csv' from the first bytes."""
    if payload.startswith(PARQUET_MAGIC):
        return "parquet"
    head = payload[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        first_line = head.split(b"\n", 1)[0].strip()
        return "jsonl" if first_line.endswith(b"}") and b"\n" in head.strip() else "json"
    return "csv"


def load_records(path: Path, report: ReadReport) -> pd.DataFrame:
    """Every record of the file as one row; columns are the union of the records' keys."""
    payload, wrapper = read_bytes(path)
    if not payload.strip():
        raise DataError(str(path), "file is empty")
    if wrapper:
        report.notes.append(f"unwrapped {wrapper}")
    kind = sniff_container(payload)
    if kind == "parquet":
        try:
            return pq.read_table(io.BytesIO(payload)).to_pandas()
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise DataError(str(path), f"corrupt parquet file: {exc}") from None
    text = _decode(path, payload)
    if kind == "csv":
        return _read_csv(path, text)
    if kind == "jsonl":
        return _read_jsonl(path, text, report)
    return _read_json(path, text)


def _decode(path: Path, payload: bytes) -> str:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise DataError(str(path), f"not UTF-8 text: byte 0x{payload[exc.start]:02x} at line {line}") from None


def _read_csv(path: Path, text: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], engine="c")
    except pd.errors.ParserError as exc:
        raise DataError(str(path), f"malformed CSV: {exc}") from None
    except pd.errors.EmptyDataError:
        raise DataError(str(path), "file is empty") from None
    df.attrs["row_offset"] = 2  # 1-based row numbers in messages count the header line
    return df


def _loads(line: str) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)  # accepts lone surrogates in \u escapes, which orjson rejects


def _read_jsonl(path: Path, text: str, report: ReadReport) -> pd.DataFrame:
    rows: list[dict] = []
    for number, line in enumerate(text.splitlines(), start=1):
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
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) == 1:
            doc = lists[0]
        elif all(isinstance(v, list) for v in doc.values()) and doc:
            return pd.DataFrame(doc)  # column-oriented JSON
        else:
            doc = [doc]
    if not isinstance(doc, list) or not doc:
        raise DataError(str(path), "JSON holds no list of records")
    bad = [i for i, r in enumerate(doc, start=1) if not isinstance(r, dict)]
    if bad:
        raise DataError(str(path), "record is not a JSON object", row=bad[0])
    df = pd.DataFrame.from_records(doc)
    df["__row"] = range(1, len(df) + 1)
    return df
