"""The one error a reader raises for input it cannot use: it names the file, the row and the field."""

from __future__ import annotations


class DataError(Exception):
    """Malformed or unreadable input. `row` is 1-based within the file's records; None when not row-specific."""

    def __init__(self, path: str, message: str, row: int | None = None, field: str | None = None) -> None:
        self.path, self.row, self.field, self.message = str(path), row, field, message
        where = [self.path]
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}")
