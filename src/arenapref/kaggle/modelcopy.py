"""The kit's model/: the whole model directory, copied after its recorded hashes are checked.

Generic over model kinds: every {"file": ..., "sha256": ...} record anywhere in model.json is verified (a neural
model's weights and tokenizer files travel the same way, recorded or not), and the extra to install follows the
model type: the core models need the core install, every other model the `nn` extra.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from arenapref.kaggle.errors import KitError
from arenapref.models.base import read_meta
from arenapref.models.model_dir import file_sha256

#: Models that run on the core install (no torch); every other registered model needs the `nn` extra.
CORE_MODELS = frozenset({"prior", "longer_wins", "fast"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def model_extra(model_type: str) -> str | None:
    """The arenapref extra a model type needs on Kaggle: None (core) or "nn"."""
    return None if model_type in CORE_MODELS else "nn"


def recorded_hashes(meta: Any) -> Iterator[tuple[str, str]]:
    """(file, sha256) of every artefact record in a model.json, however deeply nested."""
    if isinstance(meta, dict):
        file, digest = meta.get("file"), meta.get("sha256")
        if isinstance(file, str) and isinstance(digest, str) and _SHA256.match(digest):
            yield file, digest
        for value in meta.values():
            yield from recorded_hashes(value)
    elif isinstance(meta, list):
        for value in meta:
            yield from recorded_hashes(value)


def copy_model(model_dir: Path, dest: Path) -> tuple[dict[str, Any], int]:
    """Check the recorded hashes, copy the directory to dest and check the copy; (model.json, records checked)."""
    meta = read_meta(model_dir)  # ModelDirError when it is not a model directory
    records = dict(recorded_hashes(meta))
    for file, digest in records.items():
        path = model_dir / file
        if not path.is_file():
            raise KitError(f"{model_dir}: model.json records {file}, which is missing")
        if file_sha256(path) != digest:
            raise KitError(f"{path}: contents changed since the model was saved (SHA-256 mismatch)")
    shutil.copytree(model_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for file, digest in records.items():
        if file_sha256(dest / file) != digest:
            raise KitError(f"{dest / file}: the copy differs from the model's recorded SHA-256")
    return meta, len(records)
