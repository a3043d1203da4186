"""The judge's on-disk response cache: one SQLite file, keyed by (backend, model, generation settings, prompt
messages); each response is committed as soon as it arrives, so a killed run resumes where it stopped. Only
responses are stored: never request headers, so never an API key."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arenapref.data.errors import DataError
from arenapref.judge.prompts import Messages


@dataclass(frozen=True)
class Completion:
    """A judge's answer to one prompt: its text, and the verdict distribution over (A, B, tie) in the order the
    answers were shown, where the backend gives log-probabilities (None otherwise). `malformed`: why the answer's
    log-probabilities were set aside (its text is still used), None when they were fine or absent."""

    text: str
    proba: tuple[float, float, float] | None = None
    malformed: str | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {"text": self.text, "proba": self.proba}
        if self.malformed is not None:
            data["malformed"] = self.malformed
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str) -> Completion:
        """The completion stored as `raw`; ValueError when it is not one (damaged)."""
        data = json.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise ValueError("no text")
        malformed = data.get("malformed")
        return cls(data["text"], _proba(data.get("proba")), None if malformed is None else str(malformed))


def _proba(value: Any) -> tuple[float, float, float] | None:
    """A stored distribution: three finite non-negative numbers with a positive sum; ValueError otherwise."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError("proba is not three numbers")
    a, b, c = (float(x) for x in value)
    if not all(math.isfinite(x) and x >= 0 for x in (a, b, c)) or a + b + c <= 0:
        raise ValueError("proba is not a distribution")
    return (a, b, c)


def request_key(backend: str, model: str, settings: dict[str, Any], messages: Messages) -> str:
    """SHA-256 of everything that determines a response (no credentials)."""
    payload = json.dumps(
        {"backend": backend, "model": model, "settings": settings, "messages": messages},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    """Thread-safe get/put of completions by key; `path=None` keeps nothing (an in-memory database).

    A damaged cache never stops a run: a file that is not a judge cache (random bytes, another database) is renamed
    aside and a new one started; entries that cannot be read are counted (`damaged`) and asked again; writes that
    fail are counted (`failed_writes`). `notes` holds one line per such event for the user. A folder that cannot
    hold the cache (a file in its place) is a DataError naming it."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.notes: list[str] = []
        self.hits = self.misses = self.damaged = self.failed_writes = 0
        self._lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        """The cache's database: the file, a new one after setting a damaged file aside, or (when even that
        fails) an in-memory one, noted."""
        if self.path is None:
            return _connect(":memory:")
        _make_folder(self.path.parent)
        try:
            return _connect(str(self.path))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # unreadable, locked, a folder in its place: not damaged
                return self._without(f"cannot open it ({exc})")
            aside = set_aside(self.path)
            self.notes.append(f"{self.path}: damaged judge cache ({exc}); set aside as {aside.name}, starting anew")
        try:
            return _connect(str(self.path))
        except sqlite3.Error as exc:
            return self._without(f"cannot start a new one ({exc})")

    def _without(self, why: str) -> sqlite3.Connection:
        self.notes.append(f"{self.path}: {why}; running without the judge cache (a rerun asks everything again)")
        return _connect(":memory:")

    def get(self, key: str) -> Completion | None:
        """The cached completion; None when absent or unreadable (counted in `damaged`, asked again)."""
        with self._lock:
            try:
                row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
                found = None if row is None else Completion.from_json(row[0])
            except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
                found = None
                self.damaged += 1
                if self.damaged == 1:
                    self.notes.append(f"{self.path or 'cache'}: unreadable entries are asked again; first: {exc}")
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
        return found

    def put(self, key: str, completion: Completion) -> None:
        """Store `completion` (committed at once); a failed write is counted in `failed_writes`, not raised."""
        with self._lock:
            try:
                with self._db:
                    self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?)", (key, completion.to_json()))
            except sqlite3.Error as exc:
                self.failed_writes += 1
                if self.failed_writes == 1:
                    self.notes.append(f"{self.path or 'cache'}: responses could not be cached; first: {exc}")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _connect(where: str) -> sqlite3.Connection:
    """An open cache database with its table; sqlite3.DatabaseError when the file is not a judge cache."""
    db = sqlite3.connect(where, check_same_thread=False)
    try:
        with db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        columns = [row[1] for row in db.execute("PRAGMA table_info(responses)")]
        if columns != ["key", "value"]:
            raise sqlite3.DatabaseError(f"its responses table has columns {columns}, not [key, value]")
    except BaseException:
        db.close()
        raise
    return db


def _make_folder(folder: Path) -> None:
    """Create the cache's folder; DataError naming it when that cannot be done (a file in its place)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "a file is in its place" if isinstance(exc, FileExistsError | NotADirectoryError) else exc.strerror
        raise DataError(str(folder), f"cannot hold the judge cache: {reason}") from None


def set_aside(path: Path) -> Path:
    """Rename a damaged cache file (and its SQLite journal files) to a free `NAME.damaged-N`; the new name."""
    n = 1
    while (aside := path.with_name(f"{path.name}.damaged-{n}")).exists():
        n += 1
    path.replace(aside)
    for suffix in ("-wal", "-shm", "-journal"):
        journal = path.with_name(path.name + suffix)
        if journal.exists():
            journal.replace(aside.with_name(aside.name + suffix))
    return aside
