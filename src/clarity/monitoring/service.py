"""Device protocol use cases: start and end sessions, metrics, waveform chunks, events, reads."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy.orm import Session

from clarity.auth import audit
from clarity.auth.principal import Principal
from clarity.db.engine import after_commit
from clarity.db.models import MetricSample, Recording, RecordingEvent
from clarity.errors import Conflict, NotFound, Unprocessable
from clarity.kit.time import utcnow
from clarity.monitoring import access, frames, idempotency, notices, repository, waveforms
from clarity.monitoring.schemas import (
    EventAccepted,
    EventUpload,
    MetricsAccepted,
    MetricsUpload,
    RecordingStatus,
    SessionEnd,
    SessionStart,
    SessionStarted,
    WaveformAccepted,
    WaveformUpload,
)
from clarity.patients import service as patients
from clarity.runtime import Runtime
from clarity.storage import BlobStore, content_key

HEART_RATE_KEYS = ("heart_rate", "hr", "heart_rate_bpm")


def start_session(db: Session, principal: Principal, data: SessionStart) -> SessionStarted:
    """Open a session for the caller's device. Starting a known session id again is a retry."""
    session_id = data.session_id or _new_session_id()
    existing = repository.find_owned_session(db, principal.user_id, session_id)
    if existing is not None:
        return _started(existing, created=False)
    recording = Recording(
        session_id=session_id,
        owner_id=principal.user_id,
        patient_id=_patient_for(db, principal, data.patient_id),
        device_serial=data.device_serial,
        device_info=data.device_info or None,
        started_at=data.timestamp or utcnow(),
    )
    repository.add(db, recording)
    audit.record(
        db,
        principal,
        "recording.create",
        "recording",
        recording.id,
        detail={"session_id": session_id, "patient_id": recording.patient_id},
    )
    return _started(recording, created=True)


def _new_session_id() -> str:
    suffix = base64.b32encode(secrets.token_bytes(5)).decode().lower()
    return f"session_{utcnow():%Y%m%d_%H%M%S}_{suffix}"


def _patient_for(db: Session, principal: Principal, patient_id: str | None) -> str | None:
    if patient_id is None:
        own = patients.patient_of_user(db, principal.user_id)
        return own.id if own else None
    if principal.role == "patient" or not patients.can_see_patient(db, principal, patient_id):
        raise NotFound("patient not found")
    return patient_id


def _started(recording: Recording, *, created: bool) -> SessionStarted:
    return SessionStarted(
        session_id=recording.session_id,
        id=recording.id,
        status=cast(RecordingStatus, recording.status),
        started_at=recording.started_at,
        created=created,
    )


def add_metrics(
    db: Session,
    runtime: Runtime,
    principal: Principal,
    ref: str,
    data: MetricsUpload,
    key: str | None,
) -> MetricsAccepted:
    """Store one metrics snapshot; a retry (same key, or same instant) writes nothing."""
    recording = access.writable_recording(db, principal, ref)
    key = key or data.client_id
    request_hash = idempotency.fingerprint(
        "metrics", recording.id, data.model_dump_json(exclude={"client_id"})
    )
    replay = idempotency.previous_answer(db, recording.owner_id, key, request_hash)
    if replay is not None:
        return MetricsAccepted.model_validate(replay | {"duplicate": True})
    existing = repository.find_metric(db, recording.id, "device", data.timestamp)
    if existing is not None:
        if existing.values != data.metrics:
            raise Conflict("other metrics were already received for this timestamp")
        return MetricsAccepted(metrics_id=existing.id, duplicate=True)
    _require_active(recording)
    sample = MetricSample(
        recording_id=recording.id,
        source="device",
        timestamp=data.timestamp,
        heart_rate_bpm=_heart_rate(data.metrics),
        values=data.metrics,
        status=data.status,
    )
    repository.add(db, sample)
    answer = MetricsAccepted(metrics_id=sample.id)
    idempotency.remember(db, recording.owner_id, key, request_hash, answer.model_dump())
    notice = notices.metrics_notice(recording, data, answer)
    after_commit(db, lambda: runtime.live.publish(recording.id, notice))
    return answer


def _heart_rate(metrics: dict[str, Any]) -> float | None:
    for name in HEART_RATE_KEYS:
        value = metrics.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _require_active(recording: Recording) -> None:
    if recording.status != "active":
        raise Conflict("session has ended; start a new session to upload more data")


def add_waveform(
    db: Session,
    runtime: Runtime,
    principal: Principal,
    ref: str,
    data: WaveformUpload | bytes,
    key: str | None,
) -> WaveformAccepted:
    """Store a waveform chunk sent as JSON (seed 002) or as a binary frame."""
    target = access.upload_target(db, runtime.upload_targets, principal, ref)
    if isinstance(data, bytes):
        frame = waveforms.frame_from_binary(data)
        timestamp = _frame_time(frame) or utcnow()
    else:
        frame, timestamp, key = (
            waveforms.frame_from_json(data),
            data.timestamp,
            key or data.client_id,
        )
    try:
        stored = waveforms.store_chunk(db, runtime.blob_store, target, frame, timestamp, key)
    except waveforms.RecordingGone:
        runtime.upload_targets.forget(target.id)
        raise
    first_sample = stored.first_sample
    if first_sample is not None:  # a new chunk: tell watchers (before findings), then listeners

        def announce() -> None:
            if runtime.live.has_subscribers(target.id):
                notice = notices.chunk_notice(target, frame, stored.answer, timestamp, first_sample)
                runtime.live.publish(target.id, notice)

        after_commit(db, announce)
        after_commit(db, lambda: runtime.notify(target.id, "waveform"))
        if target.fs is None:  # the first chunk has set the contract: remember it, once stored
            settled = target.settled(frame.fs, frame.leads, indexed=frame.start_idx is not None)
            after_commit(db, lambda: runtime.upload_targets.put(principal.user_id, ref, settled))
    return stored.answer


def _frame_time(frame: frames.Frame) -> datetime | None:
    if frame.timestamp_ms is None:
        return None
    return datetime.fromtimestamp(frame.timestamp_ms / 1000, tz=utcnow().tzinfo)


def add_event(
    db: Session,
    runtime: Runtime,
    principal: Principal,
    ref: str,
    data: EventUpload,
    key: str | None,
) -> EventAccepted:
    """Store an arrhythmia event (with its snippet in the blob store) or a crash report."""
    recording = access.writable_recording(db, principal, ref)
    key = key or data.client_id
    request_hash = idempotency.fingerprint(
        "event", recording.id, data.model_dump_json(exclude={"client_id"})
    )
    replay = idempotency.previous_answer(db, recording.owner_id, key, request_hash)
    if replay is not None:
        return EventAccepted.model_validate(replay | {"duplicate": True})
    existing = repository.find_event(db, recording.id, data.type, data.timestamp)
    if existing is not None:
        return EventAccepted(event_id=existing.id, duplicate=True)
    event = _event_row(runtime.blob_store, recording, data)
    repository.add(db, event)
    answer = EventAccepted(event_id=event.id)
    idempotency.remember(db, recording.owner_id, key, request_hash, answer.model_dump())
    notice = notices.event_notice(recording, data, answer)
    after_commit(db, lambda: runtime.live.publish(recording.id, notice))
    return answer


def _event_row(store: BlobStore, recording: Recording, data: EventUpload) -> RecordingEvent:
    detail = data.arrhythmia if data.type == "arrhythmia_detected" else data.error
    if detail is None:
        field = "arrhythmia" if data.type == "arrhythmia_detected" else "error"
        raise Unprocessable(f"an event of type {data.type} needs its {field!r} object")
    payload = detail.model_dump(exclude={"waveform_snippet"}, exclude_none=True)
    snippet_key = None
    snippet = getattr(detail, "waveform_snippet", None)
    if snippet:
        values = np.asarray(snippet, dtype=np.float64)
        if not np.isfinite(values).all():
            raise Unprocessable("waveform_snippet has NaN or infinite samples")
        blob = values.astype("<f8").tobytes()
        snippet_key = content_key(f"snippets/{recording.id}", blob, suffix=".f8")
        store.put(snippet_key, blob)
        payload["waveform_snippet_samples"] = len(snippet)
    subtype = getattr(detail, "type", None) or getattr(detail, "error_type", None)
    return RecordingEvent(
        recording_id=recording.id,
        source="device",
        type=data.type,
        subtype=subtype,
        severity=getattr(detail, "severity", None),
        timestamp=data.timestamp,
        payload=payload,
        snippet_key=snippet_key,
    )


def end_session(
    db: Session, runtime: Runtime, principal: Principal, ref: str, data: SessionEnd
) -> Recording:
    """Close the session with the device's summary; ending it again is a harmless retry."""
    recording = access.writable_recording(db, principal, ref)
    if recording.status == "ended":
        return recording
    recording.status = "ended"
    recording.ended_at = data.timestamp or utcnow()
    recording.device_summary = data.summary or None
    db.flush()
    audit.record(db, principal, "recording.end", "recording", recording.id)
    after_commit(db, lambda: runtime.live.publish(recording.id, notices.ended_notice(recording)))
    after_commit(db, lambda: runtime.notify(recording.id, "end"))
    return recording
