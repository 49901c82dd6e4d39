"""A crash-safe, ordered outbox of device uploads, kept in one SQLite file.

Every upload is committed here before it is sent and deleted only once the server has answered
it, so an upload survives a crash, a power cut or a lost connection at any moment. The file runs
with ``synchronous=FULL`` (each commit reaches the disk before ``add`` returns) and WAL
journaling. An upload is re-sent with the Idempotency-Key it was given when it was queued, so a
crash between sending and recording the acknowledgement makes the server replay its first
answer, never store the data twice.

Uploads leave in the order they were queued (a session's start before its chunks). An upload the
server refuses for good (a 4xx other than 401/408/429) moves to the dead-letter table with the
server's answer, in one transaction, so it neither blocks the queue nor disappears unnoticed.

One process should own an outbox file at a time; several threads of it may share an ``Outbox``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

BodyKind = Literal["json", "binary", "multipart"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    session_id TEXT,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    meta TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS dead_letter (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    session_id TEXT,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    meta TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    detail TEXT NOT NULL,
    failed_at REAL NOT NULL
);
"""
_SELECT_PENDING = (
    "SELECT seq, key, session_id, path, kind, body, meta, created_at, attempts, next_attempt_at"
    " FROM outbox"
)


@dataclass(frozen=True)
class NewUpload:
    """An upload to queue: a POST of ``body`` to ``path`` (relative to the API root)."""

    key: str
    path: str
    kind: BodyKind
    body: bytes
    session_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Upload:
    """A queued upload; ``seq`` orders the queue, ``key`` is its Idempotency-Key."""

    seq: int
    key: str
    session_id: str | None
    path: str
    kind: BodyKind
    body: bytes
    meta: dict[str, Any]
    created_at: float
    attempts: int
    next_attempt_at: float


@dataclass(frozen=True)
class DeadLetter:
    """An upload the server refused for good, with its answer."""

    seq: int
    key: str
    session_id: str | None
    path: str
    kind: BodyKind
    body: bytes
    meta: dict[str, Any]
    status_code: int
    detail: str
    failed_at: float


class Outbox:
    """The queue of uploads not yet acknowledged, in a SQLite file at ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def add(self, upload: NewUpload) -> Upload:
        """Queue ``upload`` durably; a key already queued keeps its first body and place."""
        now = time.time()
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, session_id, path, kind, body, meta,"
                " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    upload.key,
                    upload.session_id,
                    upload.path,
                    upload.kind,
                    upload.body,
                    json.dumps(upload.meta),
                    now,
                    now,
                ),
            )
            row = self._db.execute(_SELECT_PENDING + " WHERE key = ?", (upload.key,)).fetchone()
        return _upload(row)

    def head(self) -> Upload | None:
        """The oldest upload still waiting, or None when everything was delivered."""
        with self._lock:
            row = self._db.execute(_SELECT_PENDING + " ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else _upload(row)

    def pending(self) -> list[Upload]:
        """Every upload still waiting, oldest first."""
        with self._lock:
            rows = self._db.execute(_SELECT_PENDING + " ORDER BY seq").fetchall()
        return [_upload(row) for row in rows]

    def __len__(self) -> int:
        with self._lock:
            count: int = self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        return count

    def acknowledge(self, key: str) -> None:
        """The server answered ``key``: forget it."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE key = ?", (key,))

    def defer(self, key: str, error: str, next_attempt_at: float) -> None:
        """A failed attempt at ``key``: count it and wait until ``next_attempt_at`` (Unix s)."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE key = ?",
                (next_attempt_at, error, key),
            )

    def last_error(self, key: str) -> str | None:
        """Why the last attempt at ``key`` failed (None before any failure)."""
        with self._lock:
            row = self._db.execute("SELECT last_error FROM outbox WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def dead_letter(self, key: str, status_code: int, detail: str) -> None:
        """Move ``key`` to the dead letters with the server's refusal (one transaction)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO dead_letter SELECT seq, key, session_id, path, kind, body, meta,"
                    " created_at, attempts + 1, ?, ?, ? FROM outbox WHERE key = ?",
                    (status_code, detail, time.time(), key),
                )
                self._db.execute("DELETE FROM outbox WHERE key = ?", (key,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def dead_letters(self) -> list[DeadLetter]:
        """Uploads the server refused, oldest first (kept until ``clear_dead_letters``)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, key, session_id, path, kind, body, meta, status_code, detail,"
                " failed_at FROM dead_letter ORDER BY seq"
            ).fetchall()
        return [
            DeadLetter(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8], r[9])
            for r in rows
        ]

    def clear_dead_letters(self) -> int:
        """Forget the dead letters (after the app has shown or exported them); how many."""
        with self._lock:
            return self._db.execute("DELETE FROM dead_letter").rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _upload(row: tuple[Any, ...]) -> Upload:
    seq, key, session_id, path, kind, body, meta, created_at, attempts, next_at = row
    return Upload(
        seq,
        key,
        session_id,
        path,
        kind,
        bytes(body),
        json.loads(meta),
        created_at,
        attempts,
        next_at,
    )
