"""Device recordings ("sessions" on the wire) and what streams into them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clarity.db.base import Base, Timestamps
from clarity.kit.ids import new_id
from clarity.kit.time import utcnow

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Recording(Timestamps, Base):
    """One device session: who recorded, on which device, its sampling contract and its summaries.

    ``session_id`` is the client's name for it (unique per owner, may be chosen offline); ``id`` is
    the server's, unique everywhere.
    """

    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("owner_id", "session_id", name="uq_recordings_owner_session"),
        CheckConstraint("status IN ('active', 'ended')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rec"))
    session_id: Mapped[str] = mapped_column(String(100), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[str | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL"), index=True
    )
    device_serial: Mapped[str | None] = mapped_column(String(100))
    device_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="active")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    fs: Mapped[float | None] = mapped_column(Float)
    leads: Mapped[list[Any] | None] = mapped_column(JSON)
    indexed: Mapped[bool | None] = mapped_column(
        comment="chunks carry start_sample (true) or follow each other in time order (false)"
    )
    n_samples: Mapped[int] = mapped_column(_BIGINT, default=0)
    n_chunks: Mapped[int] = mapped_column(Integer, default=0)
    received_until_idx: Mapped[int] = mapped_column(
        _BIGINT,
        default=0,
        server_default="0",
        comment="end of the furthest indexed chunk received: a chunk starting at or after it "
        "cannot overlap any other",
    )
    device_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    server_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    analyzed_until_idx: Mapped[int] = mapped_column(_BIGINT, default=0)
    analysis_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WaveformChunk(Base):
    """One uploaded block of samples. The samples live in the blob store under ``blob_key``."""

    __tablename__ = "waveform_chunks"
    __table_args__ = (
        UniqueConstraint(
            "recording_id", "content_sha256", "timestamp", name="uq_waveform_chunks_content"
        ),
        Index("ix_waveform_chunks_recording_order", "recording_id", "start_idx", "timestamp"),
    )

    id: Mapped[str] = mapped_column(
        String(40), primary_key=True, default=lambda: new_id("waveform")
    )
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    timestamp: Mapped[datetime]
    start_idx: Mapped[int | None] = mapped_column(_BIGINT)
    fs: Mapped[float] = mapped_column(Float)
    leads: Mapped[list[Any]] = mapped_column(JSON)
    n_samples: Mapped[int] = mapped_column(Integer)
    encoding: Mapped[str] = mapped_column(String(16))
    blob_key: Mapped[str] = mapped_column(String(200))
    content_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class MetricSample(Base):
    """Live metrics at one instant, from the device or from the server's own analysis."""

    __tablename__ = "metric_samples"
    __table_args__ = (
        UniqueConstraint("recording_id", "source", "timestamp", name="uq_metric_samples_instant"),
        CheckConstraint("source IN ('device', 'server')", name="source"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("metric"))
    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(8), default="device")
    timestamp: Mapped[datetime]
    heart_rate_bpm: Mapped[float | None] = mapped_column(Float)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordingEvent(Base):
    """Something that happened in a recording: an arrhythmia, a crash report, an alert."""

    __tablename__ = "recording_events"
    __table_args__ = (
        CheckConstraint("source IN ('device', 'server')", name="source"),
        Index("ix_recording_events_recording_time", "recording_id", "timestamp"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("event"))
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8), default="device")
    type: Mapped[str] = mapped_column(String(40))
    subtype: Mapped[str | None] = mapped_column(String(60))
    severity: Mapped[str | None] = mapped_column(String(20))
    timestamp: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    snippet_key: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The first answer to a client-identified upload, replayed for every retry of it."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner_id", "key", name="uq_idempotency_records_owner_key"),)

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AlertRule(Timestamps, Base):
    """Per-patient alert thresholds applied by the server's live analysis."""

    __tablename__ = "alert_rules"

    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    hr_low_bpm: Mapped[float | None] = mapped_column(Float)
    hr_high_bpm: Mapped[float | None] = mapped_column(Float)
    pause_s: Mapped[float | None] = mapped_column(Float)
    atrial_fibrillation: Mapped[bool] = mapped_column(default=True)
    ventricular_run_beats: Mapped[int | None] = mapped_column(Integer)
    updated_by_id: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
