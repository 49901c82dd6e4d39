"""Reading recordings back: the session list, everything about a session, its samples."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clarity.auth import audit
from clarity.auth.principal import Principal
from clarity.db.models import MetricSample, Recording, RecordingEvent, WaveformChunk
from clarity.errors import NotFound
from clarity.kit.time import as_utc
from clarity.monitoring import access, repository, waveforms
from clarity.monitoring.schemas import (
    EventRead,
    MetricRead,
    ReportLink,
    SessionData,
    SessionList,
    SessionListItem,
    WaveformSegmentRead,
)
from clarity.patients import service as patients
from clarity.storage import BlobStore


def list_user_sessions(db: Session, principal: Principal, user_id: str) -> SessionList:
    """The sessions of ``user_id``: your own, or (staff) those of a patient in your care."""
    if user_id == principal.user_id:
        recordings = repository.list_recordings(db, owner_id=user_id)
    else:
        own_patient = patients.patient_of_user(db, user_id)
        if (
            own_patient is None
            or not (principal.is_admin or principal.is_clinician)
            or not (patients.can_see_patient(db, principal, own_patient.id))
        ):
            raise NotFound("user not found")
        recordings = repository.list_recordings(db, owner_id=user_id, patient_ids=[own_patient.id])
    audit.record(
        db, principal, "recording.list", "user", user_id, detail={"count": len(recordings)}
    )
    return SessionList(sessions=[_list_item(db, r) for r in recordings])


def _list_item(db: Session, recording: Recording) -> SessionListItem:
    summary = recording.server_summary or {}
    average = summary.get("average_heart_rate") or repository.average_heart_rate(
        db, recording.id, "device"
    )
    return SessionListItem(
        session_id=recording.session_id,
        id=recording.id,
        status=recording.status,
        start_time=recording.started_at,
        end_time=recording.ended_at,
        duration_seconds=_duration_s(recording),
        average_heart_rate=average,
        device_serial=recording.device_serial,
        patient_id=recording.patient_id,
    )


def _duration_s(recording: Recording) -> float | None:
    if recording.fs and recording.n_samples:
        return round(recording.n_samples / recording.fs, 3)
    if recording.ended_at is not None:
        return round((as_utc(recording.ended_at) - as_utc(recording.started_at)).total_seconds(), 3)
    return None


def session_data(db: Session, principal: Principal, ref: str) -> SessionData:
    """Metrics timeline, waveform segments, events, reports and both summaries of a session."""
    recording = access.readable_recording(db, principal, ref)
    audit.record(db, principal, "recording.read", "recording", recording.id)
    return SessionData(
        session_id=recording.session_id,
        id=recording.id,
        status=recording.status,
        device_serial=recording.device_serial,
        device_info=recording.device_info,
        patient_id=recording.patient_id,
        start_time=recording.started_at,
        end_time=recording.ended_at,
        sampling_rate=recording.fs,
        leads=[str(n) for n in recording.leads] if recording.leads else None,
        n_samples=recording.n_samples,
        metrics_timeline=[_metric(m) for m in repository.list_metrics(db, recording.id)],
        waveform_segments=[_segment(c) for c in repository.list_chunks(db, recording.id)],
        events=[_event(e) for e in repository.list_events(db, recording.id)],
        reports=[
            ReportLink(report_id=r.id, filename=r.filename, created_at=r.created_at)
            for r in repository.list_reports_of_recording(db, recording.id)
        ],
        device_summary=recording.device_summary,
        server_summary=recording.server_summary,
    )


def _metric(sample: MetricSample) -> MetricRead:
    return MetricRead(
        metrics_id=sample.id,
        source=sample.source,
        timestamp=sample.timestamp,
        metrics=sample.values,
        status=sample.status,
    )


def _segment(chunk: WaveformChunk) -> WaveformSegmentRead:
    return WaveformSegmentRead(
        waveform_id=chunk.id,
        timestamp=chunk.timestamp,
        start_sample=chunk.start_idx,
        sampling_rate=chunk.fs,
        leads=[str(n) for n in chunk.leads],
        n_samples=chunk.n_samples,
        encoding=chunk.encoding,
    )


def _event(event: RecordingEvent) -> EventRead:
    return EventRead(
        event_id=event.id,
        source=event.source,
        type=event.type,
        subtype=event.subtype,
        severity=event.severity,
        timestamp=event.timestamp,
        payload=event.payload,
    )


def read_waveform(
    db: Session,
    store: BlobStore,
    principal: Principal,
    ref: str,
    *,
    start_s: float | None,
    end_s: float | None,
    leads: list[str] | None,
) -> tuple[Recording, waveforms.Segment]:
    """The samples of a session window, exactly as they were sent."""
    recording = access.readable_recording(db, principal, ref)
    segment = waveforms.read_segment(
        db, store, recording, start_s=start_s, end_s=end_s, leads=leads
    )
    audit.record(
        db,
        principal,
        "recording.read_waveform",
        "recording",
        recording.id,
        detail={"start_sample": segment.start_idx, "n_samples": segment.values.shape[1]},
    )
    return recording, segment
