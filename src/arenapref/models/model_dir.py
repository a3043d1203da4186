"""Checked artefacts of a model directory: files recorded with their SHA-256, training-data hash, version checks.

Every model kind's directory records every file it holds (folders below included: an ensemble's members, a
fine-tuned model's adapter, head and tokenizer) with its SHA-256 under model.json's `files`, written by
PreferenceModel.save (and by fold averaging, which writes its folder itself) and checked by registry.load before
the model reads anything, by fold averaging and by the Kaggle pack. A folder saved before `files` existed loads
with the records it has (the fast model's artefacts, embed-mlp's weights).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from arenapref.models.errors import ModelDirError
from arenapref.weights.hashes import file_sha256

META_FILE = "model.json"
FILES_KEY = "files"  # model.json's list of {file, sha256}: every file of the directory but model.json itself
_HASH_CHUNK_ROWS = 10_000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_checked(directory: Path, name: str, text: str) -> dict[str, str]:
    """Write `text` to directory/name; returns the record {file, sha256} that read_checked verifies."""
    (directory / name).write_text(text, encoding="utf-8")
    return {"file": name, "sha256": sha256_text(text)}


def read_checked(directory: Path, record: dict[str, str]) -> str:
    """The text of a recorded artefact; ModelDirError when its path leaves the folder, it is missing, its hash
    (checked on the bytes, before decoding) differs, or it is not UTF-8."""
    path = _recorded_path(directory, record["file"])
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ModelDirError(f"{path}: contents changed since the model was saved (SHA-256 mismatch)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelDirError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def record_files(directory: Path) -> list[dict[str, str]]:
    """{file, sha256} of every file under `directory` but its own model.json, sorted by path (POSIX, relative)."""
    root = Path(directory)
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p != root / META_FILE)
    return [{"file": p.relative_to(root).as_posix(), "sha256": file_sha256(p)} for p in paths]


def check_files(directory: Path, records: Iterable[Any]) -> int:
    """Check every recorded file of a model directory (model.json's `files`); returns how many. ModelDirError
    when a record is malformed, leaves the folder, or its file is missing or changed."""
    count = 0
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("file"), str):
            raise ModelDirError(f"{Path(directory) / META_FILE}: {FILES_KEY}: {record!r} is not a file record")
        digest = record.get("sha256")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise ModelDirError(f"{Path(directory) / META_FILE}: {FILES_KEY}: {record['file']}: no SHA-256")
        path = _recorded_path(directory, record["file"])
        if file_sha256(path) != digest:
            raise ModelDirError(f"{path}: contents changed since the model was saved (SHA-256 mismatch)")
        count += 1
    return count


def _recorded_path(directory: Path, file: str) -> Path:
    """The path of a recorded file; ModelDirError when it leaves the folder or is missing."""
    root = Path(directory).resolve()
    path = (root / file).resolve()
    if not path.is_relative_to(root):
        raise ModelDirError(f"{directory}: file {file!r} lies outside the model folder")
    if not path.is_file():
        raise ModelDirError(f"{directory}: missing file {file}")
    return path


def training_data_hash(battles: pd.DataFrame) -> str:
    """SHA-256 over each battle's id, labels (hard and soft) and texts, in row order."""
    digest = hashlib.sha256()
    frame = pd.DataFrame(
        {
            "id": battles["id"].astype(str),
            "label": battles["label"].to_numpy(dtype=float, na_value=np.nan),
            "soft_a": battles["soft_a"],
            "soft_b": battles["soft_b"],
            "soft_tie": battles["soft_tie"],
            "prompt": battles["prompt"],
            "response_a": battles["response_a"],
            "response_b": battles["response_b"],
        }
    )
    for start in range(0, len(frame), _HASH_CHUNK_ROWS):
        rows = frame.iloc[start : start + _HASH_CHUNK_ROWS].to_numpy().tolist()
        digest.update(orjson.dumps(rows, default=_plain))
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """JSON form of values orjson does not know (turn lists read back from parquet are numpy arrays)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def check_version(what: str, saved: str, current: str, directory: Path, parts: int = 2) -> None:
    """Refuse a directory whose `what` version differs from this one in its first `parts` numbers."""
    if saved.split(".")[:parts] != current.split(".")[:parts]:
        raise ModelDirError(
            f"{directory}: saved with {what} {saved}, this installation has {current}; retrain the model"
        )


def require(state: dict[str, Any], keys: tuple[str, ...], directory: Path) -> None:
    """ModelDirError naming the first key the saved state lacks."""
    missing = [k for k in keys if k not in state]
    if missing:
        raise ModelDirError(f"{directory}: model state lacks {', '.join(missing)}")
