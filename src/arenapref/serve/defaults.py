"""Default limits of the prediction service: plain numbers, light to import (`arenapref serve --help` shows them
without building the pydantic settings class)."""

from __future__ import annotations

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_BATCH = 256
MAX_CHARS = 100_000
