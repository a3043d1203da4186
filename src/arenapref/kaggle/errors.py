"""The kit's one error type."""

from __future__ import annotations

from arenapref.data.errors import one_line


class KitError(Exception):
    """Packing or checking a kit failed (pip could not resolve, a file is missing, a hash differs, a check failed).
    Its message is one line: what it relays from pip, the venv or the notebook has its terminal escape sequences
    and control characters removed and its lines joined."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))
