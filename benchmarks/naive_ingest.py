"""The naive peer of ``bench_ingest.py``: the storage seed 002 sketches, served by FastAPI.

One table row per upload, ``waveforms(waveform_id, session_id, timestamp, sampling_rate,
lead_i, lead_ii, ...)``, each lead a JSON float array in a text column (SQLite has no FLOAT[]),
committed per request. No authentication, no idempotency, no validation beyond JSON parsing: the
least a server can do and still give the samples back. It answers the few paths the simulator
uses (``/auth/register``, ``/sessions/start|end|data``, ``POST/GET …/waveform``) so both servers
are driven and checked by the very same load generator.

Run by the benchmark as ``uvicorn naive_ingest:app`` with ``NAIVE_DB`` naming the SQLite file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from typing import Any

import numpy as np
from fastapi import Body, FastAPI, Response

from clarity.monitoring import frames

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
COLUMNS = tuple(f"lead_{name.lower()}" for name in LEADS)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, device_serial TEXT, status TEXT NOT NULL DEFAULT 'active'
);
CREATE TABLE IF NOT EXISTS waveforms (
    waveform_id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT REFERENCES sessions(session_id),
    timestamp TEXT, sampling_rate REAL, n_samples INTEGER,
    {", ".join(f"{c} TEXT" for c in COLUMNS)}
);
CREATE INDEX IF NOT EXISTS waveforms_session ON waveforms(session_id);
"""
_INSERT = (
    f"INSERT INTO waveforms (session_id, timestamp, sampling_rate, n_samples, {', '.join(COLUMNS)})"  # noqa: S608 - fixed column names
    f" VALUES (?, ?, ?, ?, {', '.join('?' for _ in COLUMNS)})"
)
_local = threading.local()
app = FastAPI()


def db() -> sqlite3.Connection:
    """One connection per server thread, as a connection pool would give."""
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(os.environ.get("NAIVE_DB", "naive.db"), timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(SCHEMA)
        _local.conn = conn
    return conn


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/auth/register", status_code=201)
def register() -> dict[str, str]:
    return {"user_id": "naive", "token": "naive", "refresh_token": "naive"}


@app.post("/api/v1/sessions/start")
def start(payload: dict[str, Any] = Body(...)) -> dict[str, str]:
    conn = db()
    conn.execute(
        "INSERT OR IGNORE INTO sessions (session_id, device_serial) VALUES (?, ?)",
        (payload["session_id"], payload.get("device_serial")),
    )
    conn.commit()
    return {"session_id": payload["session_id"]}


@app.post("/api/v1/sessions/{session_id}/waveform")
def upload(session_id: str, payload: dict[str, Any] = Body(...)) -> dict[str, Any]:
    leads: dict[str, list[float]] = payload["leads"]
    n_samples = len(next(iter(leads.values())))
    values = [json.dumps(leads[name]) if name in leads else None for name in LEADS]
    conn = db()
    cursor = conn.execute(
        _INSERT, (session_id, payload["timestamp"], payload["sampling_rate"], n_samples, *values)
    )
    conn.commit()
    return {"status": "success", "waveform_id": f"waveform_{cursor.lastrowid}"}


@app.post("/api/v1/sessions/{session_id}/end")
def end(session_id: str) -> dict[str, str]:
    conn = db()
    conn.execute("UPDATE sessions SET status = 'ended' WHERE session_id = ?", (session_id,))
    conn.commit()
    return {"status": "success", "session_id": session_id}


@app.get("/api/v1/sessions/{session_id}/data")
def data(session_id: str) -> dict[str, Any]:
    row = (
        db()
        .execute(
            "SELECT coalesce(sum(n_samples), 0), max(sampling_rate) FROM waveforms"
            " WHERE session_id = ?",
            (session_id,),
        )
        .fetchone()
    )
    return {"session_id": session_id, "n_samples": row[0], "sampling_rate": row[1]}


@app.get("/api/v1/sessions/{session_id}/waveform")
def read(session_id: str, start: float = 0.0, end: float | None = None) -> Response:
    rows = (
        db()
        .execute(
            f"SELECT sampling_rate, {', '.join(COLUMNS)} FROM waveforms"  # noqa: S608 - fixed column names
            " WHERE session_id = ? ORDER BY waveform_id",
            (session_id,),
        )
        .fetchall()
    )
    fs = float(rows[0][0])
    present = [i for i, text in enumerate(rows[0][1:]) if text is not None]
    leads = np.array(
        [np.concatenate([json.loads(row[1 + i]) for row in rows]) for i in present],
        dtype=np.float64,
    )
    first, last = round(start * fs), leads.shape[1] if end is None else round(end * fs)
    window = leads[:, first:last]
    frame = frames.Frame(fs, tuple(LEADS[i] for i in present), window, 1.0, first, None)
    return Response(frames.encode(frame), media_type=frames.MEDIA_TYPE)
