"""Named queries for recordings and what streams into them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Row,
    Table,
    Update,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clarity.db.models import (
    AlertRule,
    IdempotencyRecord,
    MetricSample,
    Recording,
    RecordingEvent,
    Report,
    WaveformChunk,
)


def add(db: Session, row: Any) -> None:
    db.add(row)
    db.flush()


def get_recording(db: Session, recording_id: str) -> Recording | None:
    return db.get(Recording, recording_id)


def get_recording_for_update(db: Session, recording_id: str) -> Recording | None:
    """The recording, locked against concurrent writers where the database can (PostgreSQL)."""
    stmt = select(Recording).where(Recording.id == recording_id).with_for_update()
    return db.scalars(stmt).first()


def find_owned_session(db: Session, owner_id: str, session_id: str) -> Recording | None:
    stmt = select(Recording).where(
        Recording.owner_id == owner_id, Recording.session_id == session_id
    )
    return db.scalars(stmt).first()


def find_sessions_by_client_id(db: Session, session_id: str, *, limit: int = 2) -> list[Recording]:
    return list(
        db.scalars(select(Recording).where(Recording.session_id == session_id).limit(limit))
    )


def list_recordings(
    db: Session,
    *,
    owner_id: str | None = None,
    patient_ids: Sequence[str] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Recording]:
    """Recordings of an owner, or of any of ``patient_ids``, newest first."""
    conditions: list[ColumnElement[bool]] = []
    if owner_id is not None:
        conditions.append(Recording.owner_id == owner_id)
    if patient_ids is not None:
        conditions.append(Recording.patient_id.in_(patient_ids))
    stmt = select(Recording).where(or_(*conditions) if conditions else and_(True))
    stmt = stmt.order_by(Recording.started_at.desc(), Recording.id).limit(limit).offset(offset)
    return list(db.scalars(stmt))


# The ingest hot path runs these as prebuilt Core statements on the session's connection: no ORM
# unit-of-work bookkeeping, and SQLAlchemy compiles each once per dialect.
_RECORDINGS: Table = Recording.__table__  # type: ignore[assignment]  # a declarative class's Table
_CHUNKS: Table = WaveformChunk.__table__  # type: ignore[assignment]
_IDEMPOTENCY: Table = IdempotencyRecord.__table__  # type: ignore[assignment]
_rec = _RECORDINGS.c
_ADVANCED = {
    "n_samples": _rec.n_samples + bindparam("p_n"),
    "n_chunks": _rec.n_chunks + 1,
}
_ADVANCE_IN_ORDER: Update = (
    update(_RECORDINGS)
    .where(
        _rec.id == bindparam("p_id"),
        _rec.status == "active",
        _rec.received_until_idx <= bindparam("p_start"),
    )
    .values(**_ADVANCED, received_until_idx=bindparam("p_stop"))
    .returning(_rec.n_samples)
)
_ADVANCE: Update = (
    update(_RECORDINGS)
    .where(_rec.id == bindparam("p_id"), _rec.status == "active")
    .values(
        **_ADVANCED,
        received_until_idx=case(
            (_rec.received_until_idx > bindparam("p_stop"), _rec.received_until_idx),
            else_=bindparam("p_stop"),
        ),
    )
    .returning(_rec.n_samples)
)


def set_contract(
    db: Session, recording_id: str, fs: float, leads: list[str], *, indexed: bool
) -> bool:
    """Set a recording's sampling contract unless it has one (then False: read it and compare).
    The write takes the row's lock, so of two first chunks exactly one sets it."""
    stmt = (
        update(_RECORDINGS)
        .where(_rec.id == recording_id, _rec.fs.is_(None))
        .values(fs=fs, leads=leads, indexed=indexed)
        .returning(_rec.id)
    )
    return db.connection().execute(stmt).first() is not None


def advance_recording(
    db: Session, recording_id: str, n_samples: int, start_idx: int | None, stop_idx: int
) -> tuple[int | None, bool]:
    """Count a chunk into an active recording: (samples in it now, whether nothing received so
    far ends after ``start_idx``), or (None, False) when the recording is not active (or gone).

    With ``start_idx`` the fast statement applies only when the chunk starts at or after the end
    of everything received; else the general one applies and the caller checks for overlaps.
    Either takes the row's write lock until the commit, so chunks of one recording that could
    overlap are serialised.
    """
    connection = db.connection()
    params = {"p_id": recording_id, "p_n": n_samples, "p_stop": stop_idx}
    if start_idx is not None:
        row = connection.execute(_ADVANCE_IN_ORDER, params | {"p_start": start_idx}).first()
        if row is not None:
            return int(row[0]), True
    row = connection.execute(_ADVANCE, params).first()
    return (None, False) if row is None else (int(row[0]), False)


def _insert_unless_conflict(db: Session, table: Table, columns: tuple[str, ...]) -> Insert:
    """``INSERT … ON CONFLICT (columns) DO NOTHING RETURNING id`` in the session's dialect (built
    once each): a row comes back only when one was inserted (drivers' rowcounts disagree)."""
    dialect = db.get_bind().dialect.name
    key = (table.name, dialect)
    stmt = _CONFLICT_FREE.get(key)
    if stmt is None:
        module = {"postgresql": postgresql, "sqlite": sqlite}.get(dialect)
        if module is None:
            raise NotImplementedError(f"no INSERT … ON CONFLICT for {dialect}")
        stmt = (
            module.insert(table)
            .on_conflict_do_nothing(index_elements=list(columns))
            .returning(table.c.id)
        )
        _CONFLICT_FREE[key] = stmt
    return stmt


_CONFLICT_FREE: dict[tuple[str, str], Insert] = {}


def insert_chunk(db: Session, values: dict[str, Any]) -> bool:
    """Insert a chunk row; False when the recording already has this content at this time."""
    stmt = _insert_unless_conflict(db, _CHUNKS, ("recording_id", "content_sha256", "timestamp"))
    return db.connection().execute(stmt, values).first() is not None


def insert_idempotency(
    db: Session, owner_id: str, key: str, request_hash: str, response: dict[str, Any]
) -> bool:
    """Remember the answer to a keyed upload; False when the owner has used the key already."""
    stmt = _insert_unless_conflict(db, _IDEMPOTENCY, ("owner_id", "key"))
    values = {
        "owner_id": owner_id,
        "key": key,
        "request_hash": request_hash,
        "status_code": 200,
        "response": response,
    }
    return db.connection().execute(stmt, values).first() is not None


def set_idempotency_response(
    db: Session, owner_id: str, key: str, response: dict[str, Any]
) -> None:
    stmt = (
        update(_IDEMPOTENCY)
        .where(_IDEMPOTENCY.c.owner_id == owner_id, _IDEMPOTENCY.c.key == key)
        .values(response=response)
    )
    db.connection().execute(stmt)


def get_idempotency(db: Session, owner_id: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.owner_id == owner_id, IdempotencyRecord.key == key
    )
    return db.scalars(stmt).first()


def find_chunk(
    db: Session, recording_id: str, content_sha256: str, timestamp: Any
) -> WaveformChunk | None:
    stmt = select(WaveformChunk).where(
        WaveformChunk.recording_id == recording_id,
        WaveformChunk.content_sha256 == content_sha256,
        WaveformChunk.timestamp == timestamp,
    )
    return db.scalars(stmt).first()


def overlapping_chunks(
    db: Session, recording_id: str, start_idx: int, stop_idx: int, *, besides: str | None = None
) -> list[WaveformChunk]:
    """Indexed chunks (other than ``besides``) that share a sample index in ``[start_idx, stop_idx)``."""
    stmt = select(WaveformChunk).where(
        WaveformChunk.recording_id == recording_id,
        WaveformChunk.start_idx.is_not(None),
        WaveformChunk.start_idx < stop_idx,
        WaveformChunk.start_idx + WaveformChunk.n_samples > start_idx,
    )
    if besides is not None:
        stmt = stmt.where(WaveformChunk.id != besides)
    return list(db.scalars(stmt.order_by(WaveformChunk.start_idx)))


def chunk_layout(db: Session, recording_id: str) -> Sequence[Row[str, int | None, int, datetime]]:
    """(id, start_idx, n_samples, timestamp) of every chunk in stream order."""
    stmt = (
        select(
            WaveformChunk.id,
            WaveformChunk.start_idx,
            WaveformChunk.n_samples,
            WaveformChunk.timestamp,
        )
        .where(WaveformChunk.recording_id == recording_id)
        .order_by(WaveformChunk.start_idx, WaveformChunk.timestamp, WaveformChunk.received_at)
    )
    return db.execute(stmt).all()


def get_chunks(db: Session, chunk_ids: Sequence[str]) -> list[WaveformChunk]:
    return list(db.scalars(select(WaveformChunk).where(WaveformChunk.id.in_(chunk_ids))))


def list_chunks(db: Session, recording_id: str) -> list[WaveformChunk]:
    stmt = select(WaveformChunk).where(WaveformChunk.recording_id == recording_id)
    return list(db.scalars(stmt.order_by(WaveformChunk.start_idx, WaveformChunk.timestamp)))


def find_metric(db: Session, recording_id: str, source: str, timestamp: Any) -> MetricSample | None:
    stmt = select(MetricSample).where(
        MetricSample.recording_id == recording_id,
        MetricSample.source == source,
        MetricSample.timestamp == timestamp,
    )
    return db.scalars(stmt).first()


def list_metrics(db: Session, recording_id: str, *, limit: int = 5000) -> list[MetricSample]:
    stmt = select(MetricSample).where(MetricSample.recording_id == recording_id)
    return list(db.scalars(stmt.order_by(MetricSample.timestamp, MetricSample.source).limit(limit)))


def average_heart_rate(db: Session, recording_id: str, source: str) -> float | None:
    stmt = select(func.avg(MetricSample.heart_rate_bpm)).where(
        MetricSample.recording_id == recording_id, MetricSample.source == source
    )
    value = db.scalar(stmt)
    return None if value is None else float(value)


def find_event(db: Session, recording_id: str, type_: str, timestamp: Any) -> RecordingEvent | None:
    stmt = select(RecordingEvent).where(
        RecordingEvent.recording_id == recording_id,
        RecordingEvent.type == type_,
        RecordingEvent.timestamp == timestamp,
        RecordingEvent.source == "device",
    )
    return db.scalars(stmt).first()


def list_events(db: Session, recording_id: str, *, limit: int = 5000) -> list[RecordingEvent]:
    stmt = select(RecordingEvent).where(RecordingEvent.recording_id == recording_id)
    return list(db.scalars(stmt.order_by(RecordingEvent.timestamp, RecordingEvent.id).limit(limit)))


def list_reports_of_recording(db: Session, recording_id: str) -> list[Report]:
    stmt = select(Report).where(Report.recording_id == recording_id).order_by(Report.created_at)
    return list(db.scalars(stmt))


def get_alert_rule(db: Session, patient_id: str) -> AlertRule | None:
    return db.get(AlertRule, patient_id)
