"""What a reader did to the input: rows read, repaired (by repair) and dropped (by reason, with ids)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from arenapref.data.errors import quote


@dataclass
class ReadReport:
    """Accounting of one read: rows_read == rows_kept + sum of dropped rows, always."""

    path: str
    format: str
    rows_read: int = 0
    rows_kept: int = 0
    repairs: Counter[str] = field(default_factory=Counter)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def repair(self, kind: str, count: int = 1) -> None:
        """Count `count` repairs of one kind (e.g. 'lone surrogate replaced')."""
        if count:
            self.repairs[kind] += count

    def drop(self, reason: str, row_id: str) -> None:
        """Record one dropped row with its id (or row number) under a reason."""
        self.dropped.setdefault(reason, []).append(str(row_id))

    @property
    def rows_dropped(self) -> int:
        return sum(len(ids) for ids in self.dropped.values())

    def merge(self, other: ReadReport) -> ReadReport:
        """Sum of two reports (used when a reader reads several members of one file)."""
        out = ReadReport(self.path, self.format, self.rows_read + other.rows_read, self.rows_kept + other.rows_kept)
        out.repairs = self.repairs + other.repairs
        for src in (self.dropped, other.dropped):
            for reason, ids in src.items():
                out.dropped.setdefault(reason, []).extend(ids)
        out.notes = self.notes + other.notes
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_dropped": self.rows_dropped,
            "repairs": dict(self.repairs),
            "dropped": {reason: {"count": len(ids), "ids": ids[:20]} for reason, ids in self.dropped.items()},
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        empty = " (empty table: no battles)" if self.rows_read == 0 else ""
        out = [
            f"{self.path} [{self.format}]: read {self.rows_read}, kept {self.rows_kept}, dropped {self.rows_dropped}"
            + empty
        ]
        out += [f"  repaired: {kind}: {n}" for kind, n in sorted(self.repairs.items())]
        for reason, ids in self.dropped.items():
            shown = ", ".join(quote(str(i)) for i in ids[:5]) + (" ..." if len(ids) > 5 else "")
            out.append(f"  dropped: {reason}: {len(ids)} (ids {shown})")
        out += [f"  note: {n}" for n in self.notes]
        return out
