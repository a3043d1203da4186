"""On-disk cache of protocol runs: a rerun of an unchanged model on unchanged data costs nothing.

The key hashes the model's name and configuration, the source code of the modules a run depends on (models,
features, swap/folds/schema and the protocol code), the content of the battle table, the protocol and its settings.
Predictions (not metrics) are cached, so changing a metric never needs a rerun.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

import arenapref
from arenapref.evaluation.protocols import Run
from arenapref.models.base import PreferenceModel

#: Package paths (relative to arenapref/) whose source defines what a run predicts.
SOURCE_PATHS = (
    "models",
    "features",
    "data/folds.py",
    "data/schema.py",
    "data/swap.py",
    "evaluation/protocols.py",
    "evaluation/probes.py",
)


def default_cache_dir() -> Path:
    """$ARENAPREF_CACHE, else $XDG_CACHE_HOME/arenapref/bench, else ~/.cache/arenapref/bench."""
    if "ARENAPREF_CACHE" in os.environ:
        return Path(os.environ["ARENAPREF_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "arenapref" / "bench"


def source_hash(paths: Iterable[str] = SOURCE_PATHS) -> str:
    """SHA-256 over the relative names and contents of the package's .py files under `paths`."""
    root = Path(arenapref.__file__).parent
    digest = hashlib.sha256()
    for rel in paths:
        target = root / rel
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for f in files:
            digest.update(str(f.relative_to(root)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def table_hash(battles: pd.DataFrame) -> str:
    """SHA-256 of a battle table's content: every column's name and values, in row order."""
    digest = hashlib.sha256()
    for col in battles.columns:
        digest.update(str(col).encode())
        digest.update(orjson.dumps(battles[col].tolist(), default=str, option=orjson.OPT_SERIALIZE_NUMPY))
    return digest.hexdigest()


def model_config(model: PreferenceModel) -> str:
    """A fresh model's state as JSON (its configuration); empty when an unfitted model cannot report it."""
    try:
        state = model.get_state()
    except Exception:  # an unfitted model may have no state to report; the source hash still covers its code
        state = {}
    return json.dumps(state, sort_keys=True, default=lambda o: type(o).__name__)


def cache_key(**parts: Any) -> str:
    """SHA-256 of the named parts (JSON, sorted keys)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


#: What reading a damaged entry raises: a zero-byte .npz EOFError, a damaged archive BadZipFile or zlib.error, a
#: JSON that is no object TypeError or AttributeError.
_DAMAGED = (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError, zipfile.BadZipFile, zlib.error)


def _read_run(meta_path: Path, arrays_path: Path) -> Run:
    """The cached run; one of _DAMAGED when the entry is unreadable or its arrays are not a run's: (n,) test
    positions, (n, 3) finite probabilities in both orders."""
    meta = json.loads(meta_path.read_bytes())
    with np.load(arrays_path) as arrays:
        test, proba, swapped = arrays["test"], arrays["proba"], arrays["proba_swapped"]
    n = len(test)
    if test.ndim != 1 or test.dtype.kind not in "iu" or proba.shape != (n, 3) or swapped.shape != (n, 3):
        raise ValueError("not the arrays of a run")
    if not (np.isfinite(proba).all() and np.isfinite(swapped).all()):
        raise ValueError("probabilities that are not finite")
    return Run(test, proba, swapped, float(meta["fit_seconds"]), float(meta["predict_seconds"]), int(meta["n_fits"]))


class RunCache:
    """Runs stored as `<key>.npz` (arrays) + `<key>.json` (timings and the key's parts) under `directory`."""

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.hits = self.misses = 0

    def get(self, key: str) -> Run | None:
        if self.directory is None:
            return None
        meta_path, arrays_path = self.directory / f"{key}.json", self.directory / f"{key}.npz"
        if not (meta_path.is_file() and arrays_path.is_file()):
            self.misses += 1
            return None
        try:
            run = _read_run(meta_path, arrays_path)
        except _DAMAGED:  # a damaged entry (unreadable, or not the shapes a run has) is recomputed
            self.misses += 1
            return None
        self.hits += 1
        return run

    def put(self, key: str, run: Run, parts: dict[str, Any]) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{key}.tmp.npz"
        np.savez_compressed(tmp, test=run.test, proba=run.proba, proba_swapped=run.proba_swapped)
        tmp.replace(self.directory / f"{key}.npz")
        meta = {
            "fit_seconds": run.fit_seconds,
            "predict_seconds": run.predict_seconds,
            "n_fits": run.n_fits,
            "parts": parts,
        }
        (self.directory / f"{key}.json").write_text(json.dumps(meta, indent=1, default=str))
