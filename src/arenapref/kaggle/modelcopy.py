"""The kit's model/: the whole model directory, copied after its recorded hashes are checked.

Generic over model kinds: every {"file": ..., "sha256": ...} record anywhere in a model.json (the model's and each
ensemble member's) is verified; a neural model's weights and tokenizer files travel the same way, recorded or not,
and what the model references outside its directory is carried or refused (models.portable). The extra to
install follows the model types in the directory: the core models need the core install, every other model the
`nn` extra; a wrapper (`calibrated`) needs what the model it wraps needs.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from arenapref.kaggle.errors import KitError
from arenapref.models.base import read_meta
from arenapref.models.portable import carry, externals, model_dirs, point_base_at
from arenapref.weights.hashes import file_sha256

#: Models that run on the core install (no torch); every other registered model needs the `nn` extra.
CORE_MODELS = frozenset({"prior", "longer_wins", "fast"})
#: Models made only of the model directories nested in theirs (plus numbers): they need what those need.
WRAPPERS = frozenset({"calibrated"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def model_extra(model_type: str) -> str | None:
    """The arenapref extra a model type needs on Kaggle: None (core) or "nn"."""
    return None if model_type in CORE_MODELS else "nn"


def directory_extra(model_dir: Path) -> str | None:
    """The extra the model directory needs on Kaggle: "nn" when any model in it (nested ones included) does."""
    types = [str(read_meta(directory).get("model")) for directory in model_dirs(model_dir)]
    return "nn" if any(model_extra(t) for t in types if t not in WRAPPERS) else None


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


def _check_recorded(model_dir: Path, file: str, digest: str) -> None:
    """KitError when a recorded file leaves the folder, is missing or changed."""
    path = model_dir / file
    if Path(file).is_absolute() or ".." in Path(file).parts:
        raise KitError(f"{model_dir}: model.json records {file}, outside the model folder")
    if not path.is_file():
        raise KitError(f"{model_dir}: model.json records {file}, which is missing")
    if file_sha256(path) != digest:
        raise KitError(f"{path}: contents changed since the model was saved (SHA-256 mismatch)")


def copy_model(
    model_dir: Path, dest: Path, base_at: str | None = None
) -> tuple[dict[str, Any], int, list[dict[str, Any]]]:
    """Check the recorded hashes (of the model and of each nested member), copy the directory to dest with what
    it references outside itself (models.portable: a LoRA adapter's base checkpoint; with `base_at`, pointed at
    that path instead of carried) and check the copy. Returns (model.json, records checked, what was carried or
    pointed at)."""
    meta = read_meta(model_dir)  # ModelDirError when it is not a model directory
    records: dict[str, str] = {}
    for directory in model_dirs(model_dir):  # parents first: a member's model.json is checked before it is read
        for file, digest in recorded_hashes(read_meta(directory)):
            name = (directory / file).relative_to(model_dir).as_posix()
            _check_recorded(model_dir, name, digest)
            records[name] = digest
    found = externals(model_dir)  # refuse before copying anything when a reference cannot travel
    shutil.copytree(model_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    carried = point_base_at(found, dest, base_at) if base_at else carry(found, dest)
    for file, digest in records.items():
        if file_sha256(dest / file) != digest:
            raise KitError(f"{dest / file}: the copy differs from the model's recorded SHA-256")
    return meta, len(records), carried
