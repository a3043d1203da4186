"""How much a read may unpack: the cap on the decompressed size of gzip, bz2 and zip files and of parquet column
data, so a small compressed file (a "bomb") cannot take a machine's memory.

The default is 512 MiB (nearly three times Kaggle's 184 MB train.csv); $ARENAPREF_MAX_UNPACKED_BYTES changes it for
the command line, and the server passes its own, smaller `max_unpacked_bytes`.
"""

from __future__ import annotations

import os

from arenapref.data.errors import DataError

MAX_UNPACKED_ENV = "ARENAPREF_MAX_UNPACKED_BYTES"
DEFAULT_MAX_UNPACKED_BYTES = 512 << 20


class UnpackLimitError(DataError):
    """A file whose decompressed data would pass the cap (nothing past the cap was decompressed)."""


def max_unpacked_bytes(given: int | None = None) -> int:
    """The cap: `given`, else $ARENAPREF_MAX_UNPACKED_BYTES, else DEFAULT_MAX_UNPACKED_BYTES."""
    if given is not None:
        return given
    raw = os.environ.get(MAX_UNPACKED_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_UNPACKED_BYTES
    if not raw.isdigit() or int(raw) == 0:
        raise DataError(MAX_UNPACKED_ENV, f"must be a positive number of bytes, not {raw!r}")
    return int(raw)


def over_limit(path: str, what: str, limit: int) -> UnpackLimitError:
    return UnpackLimitError(
        path,
        f"{what} unpacks to more than {limit:,} bytes (the limit; ${MAX_UNPACKED_ENV} or the server's "
        "max_unpacked_bytes changes it)",
    )
