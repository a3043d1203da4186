"""The judge's on-disk response cache: one SQLite file, keyed by (backend, model, generation settings, prompt
messages); each response is committed as soon as it arrives, so a killed run resumes where it stopped. Only
responses are stored: never request headers, so never an API key."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arenapref.judge.prompts import Messages


@dataclass(frozen=True)
class Completion:
    """A judge's answer to one prompt: its text, and the verdict distribution over (A, B, tie) in the order the
    answers were shown, where the backend gives log-probabilities (None otherwise)."""

    text: str
    proba: tuple[float, float, float] | None = None

    def to_json(self) -> str:
        return json.dumps({"text": self.text, "proba": self.proba})

    @classmethod
    def from_json(cls, raw: str) -> Completion:
        data = json.loads(raw)
        proba = data.get("proba")
        return cls(str(data["text"]), None if proba is None else (float(proba[0]), float(proba[1]), float(proba[2])))


def request_key(backend: str, model: str, settings: dict[str, Any], messages: Messages) -> str:
    """SHA-256 of everything that determines a response (no credentials)."""
    payload = json.dumps(
        {"backend": backend, "model": model, "settings": settings, "messages": messages},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    """Thread-safe get/put of completions by key; `path=None` keeps nothing (an in-memory database)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path) if self.path else ":memory:", check_same_thread=False)
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Completion | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        return Completion.from_json(row[0])

    def put(self, key: str, completion: Completion) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?)", (key, completion.to_json()))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
