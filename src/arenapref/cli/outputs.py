"""Output paths checked before any work: a command refuses a folder, a path under a file, an input file or two
outputs on one path in one line (DataError, exit 2), so nothing is overwritten or half done."""

from __future__ import annotations

from pathlib import Path

from arenapref.data.errors import DataError


def check_writable(out: Path, example: str = "submission.csv") -> None:
    """DataError naming `out` when a file cannot be written there (a folder, or a path under a file)."""
    if out.is_dir():
        raise DataError(str(out), f"is a folder; give a file name, e.g. {example}")
    blocking = next((parent for parent in out.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise DataError(str(out), f"cannot create it: {blocking} is a file, not a folder")


def check_outputs(inputs: list[Path], outputs: list[Path], example: str = "submission.csv") -> None:
    """DataError naming the first output that cannot be written (check_writable), that is one of the input files,
    or that another output also names."""
    seen = {path.resolve(): "the input file" for path in inputs}
    for path in outputs:
        check_writable(path, example)
        where = path.resolve()
        if where in seen:
            raise DataError(str(path), f"is also {seen[where]}; give each output its own path")
        seen[where] = "another output"
