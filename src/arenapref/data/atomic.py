"""Output files and folders written whole or not at all: the content goes to a temporary file (or folder) beside
the target, which is then renamed over it (a rename within a folder is atomic), or removed if writing failed."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` (same suffix, so writers infer the same format) to write in the block; on
    success it replaces `path`, on any error it is removed and `path` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        yield tmp
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def replacing_folder(path: str | Path) -> Iterator[Path]:
    """A temporary folder path beside `path` to write in the block (not yet created); on success it takes the place
    of `path`, which must be absent or an empty folder; on any error it is removed and `path` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        if path.exists():
            path.rmdir()  # an empty folder (a non-empty one raises OSError)
        tmp.rename(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
