"""The one error a reader raises for input it cannot use: it names the file, the row and the field."""

from __future__ import annotations

import re

#: Longest piece of the input (a column name, an id) quoted in a message: input can hold any text.
QUOTE_CHARS = 60


class DataError(Exception):
    """Malformed or unreadable input. `row` is 1-based within the file's records; None when not row-specific.
    `hint`: what the command-line user can do about it (the API leaves it out: it names CLI options)."""

    def __init__(
        self, path: str, message: str, row: int | None = None, field: str | None = None, hint: str | None = None
    ) -> None:
        self.path, self.row, self.field, self.message, self.hint = str(path), row, field, message, hint
        where = [self.path]
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {quote(field)!r}")
        super().__init__(f"{', '.join(where)}: {message}{f'; {hint}' if hint else ''}")


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` cut to `limit` characters (an ellipsis marks the cut), for quoting input in a one-line message."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


#: Terminal escape sequences (CSI: colours, cursor; OSC: titles, links; two-byte ESC x) and other control
#: characters, which a relayed message (a child process's stderr, a server's error body) may hold.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|[\x00-\x08\x0e-\x1f\x7f]")


def one_line(text: str, limit: int | None = None) -> str:
    """`text` fit for a one-line message: terminal escape sequences and control characters removed, whitespace
    runs (newlines too) collapsed to one space, cut to `limit` characters when given (an ellipsis marks the cut)."""
    flat = " ".join(_ESCAPES.sub("", text).split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "\u2026"
