"""FHIR export of a device session: gather what the caller may read, build the bundle, audit.

The builder (``clarity.interop.fhir``) is pure; this module reads the recording through the
monitoring domain's access check (a session the caller may not read is 404), turns rows into the
builder's dataclasses and decides whether the samples travel inline or as links.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, cast
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from clarity import __version__
from clarity.auth import audit
from clarity.auth.principal import Principal
from clarity.db.models import MetricSample, Recording, RecordingEvent, Report
from clarity.ecg.formats import MEDIA_TYPES
from clarity.errors import NotFound, PayloadTooLarge
from clarity.interop import fhir
from clarity.kit.time import as_utc, utcnow
from clarity.monitoring import access, frames, repository, waveforms
from clarity.patients import service as patients
from clarity.storage import BlobStore

MAX_METRIC_SAMPLES = 50_000
# What GET /sessions/{id}/waveform serves, in the order a DocumentReference lists them.
_DOWNLOADS: tuple[tuple[str, str, str], ...] = (
    ("edf", MEDIA_TYPES["edf"], "EDF"),
    ("wfdb", MEDIA_TYPES["wfdb"], "WFDB (zip)"),
    ("csv", MEDIA_TYPES["csv"], "CSV"),
    ("json", "application/json", "JSON, exact values"),
    ("binary", frames.MEDIA_TYPE, "Clarity binary frame, exact values"),
)


def session_bundle(
    db: Session,
    store: BlobStore,
    principal: Principal,
    ref: str,
    *,
    base_url: str,
    inline_max_samples: int,
) -> dict[str, Any]:
    """The session ``ref`` names as a FHIR R4 ``Bundle``; ``NotFound`` if the caller may not read it.

    ``base_url`` (the API's public root, no trailing slash) makes the report and waveform links
    absolute; recordings longer than ``inline_max_samples`` per lead are linked, not inlined.
    """
    recording = access.readable_recording(db, principal, ref)
    waveform = _waveform(db, store, recording, base_url, inline_max_samples)
    record = fhir.SessionRecord(
        recording_id=recording.id,
        session_id=recording.session_id,
        status="ended" if recording.status == "ended" else "active",
        started_at=as_utc(recording.started_at),
        ended_at=as_utc(recording.ended_at) if recording.ended_at else None,
        patient=_patient(db, principal, recording.patient_id),
        device=fhir.DeviceFacts(recording.device_serial, recording.device_info or {}),
        software_version=__version__,
        metrics=tuple(_metric(m) for m in _metrics(db, recording)),
        events=tuple(
            _event(e) for e in repository.list_events(db, recording.id) if _is_arrhythmia(e)
        ),
        waveform=waveform,
        reports=tuple(
            _report(r, base_url) for r in repository.list_reports_of_recording(db, recording.id)
        ),
        device_summary=recording.device_summary,
        server_summary=recording.server_summary,
    )
    detail = {
        "format": "fhir",
        "patient_id": recording.patient_id,
        "waveform": _waveform_mode(waveform),
    }
    audit.record(db, principal, "recording.export", "recording", recording.id, detail=detail)
    return fhir.build_bundle(record, generated_at=utcnow())


def _waveform_mode(waveform: fhir.InlineWaveform | fhir.LinkedWaveform | None) -> str | None:
    if waveform is None:
        return None
    return "inline" if isinstance(waveform, fhir.InlineWaveform) else "link"


def _patient(db: Session, principal: Principal, patient_id: str | None) -> fhir.PatientFacts | None:
    """The session's patient; only the id when the caller reads the session but not the patient."""
    if patient_id is None:
        return None
    try:
        patient = patients.get_patient(db, principal, patient_id, audit_read=False)
    except NotFound:
        return fhir.PatientFacts(id=patient_id)
    sex = cast(Literal["male", "female", "other", "unknown"], patient.sex)
    return fhir.PatientFacts(patient.id, patient.name, sex, patient.birth_date)


def _metrics(db: Session, recording: Recording) -> list[MetricSample]:
    return repository.list_metrics(db, recording.id, limit=MAX_METRIC_SAMPLES)


def _source(value: str) -> fhir.Source:
    return "server" if value == "server" else "device"


def _metric(sample: MetricSample) -> fhir.MetricPoint:
    return fhir.MetricPoint(_source(sample.source), as_utc(sample.timestamp), sample.values)


def _is_arrhythmia(event: RecordingEvent) -> bool:
    return event.type == "arrhythmia_detected"


def _event(event: RecordingEvent) -> fhir.ArrhythmiaEvent:
    payload = event.payload or {}
    rate = payload.get("heart_rate_at_event")
    return fhir.ArrhythmiaEvent(
        id=event.id,
        source=_source(event.source),
        timestamp=as_utc(event.timestamp),
        # the server refines its episode's kind in the payload (a fast ventricular run is VT)
        kind=_str(payload.get("type")) or event.subtype or "arrhythmia",
        description=_str(payload.get("description")),
        severity=event.severity,
        heart_rate_bpm=float(rate) if isinstance(rate, int | float) else None,
        lead=_str(payload.get("lead")),
        end=_episode_end(payload),
    )


def _episode_end(payload: dict[str, Any]) -> datetime | None:
    """When a finished episode ended (server findings carry ``end_time``); None otherwise."""
    end = payload.get("end_time")
    if payload.get("status") == "ongoing" or not isinstance(end, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(end))
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _report(report: Report, base_url: str) -> fhir.ReportFile:
    return fhir.ReportFile(
        id=report.id,
        url=f"{base_url}/api/v1/reports/{report.id}/file",
        filename=report.filename,
        content_type=report.content_type,
        created=as_utc(report.created_at),
        size_bytes=report.size_bytes,
        conclusion=report.conclusion,
    )


def _waveform(
    db: Session, store: BlobStore, recording: Recording, base_url: str, inline_max_samples: int
) -> fhir.InlineWaveform | fhir.LinkedWaveform | None:
    """The samples inline when short enough (counting gaps), else links to their downloads."""
    layout = repository.chunk_layout(db, recording.id)
    if recording.fs is None or not recording.leads or not layout:
        return None
    start, span = _start_and_span(layout, recording.fs)
    if span <= inline_max_samples:
        try:
            segment = waveforms.read_segment(
                db, store, recording, start_s=None, end_s=None, leads=None
            )
        except PayloadTooLarge:
            segment = None
        if segment is not None:
            return fhir.InlineWaveform(
                segment.fs, segment.leads, segment.values, segment.gain, segment.start_time or start
            )
    leads = tuple(str(name) for name in recording.leads)
    links = _links(base_url, recording, span, len(leads))
    return fhir.LinkedWaveform(recording.fs, leads, span, start, links)


def _start_and_span(
    layout: Sequence[tuple[str, int | None, int, datetime]], fs: float
) -> tuple[datetime, int]:
    """Time of sample 0 and the number of sample positions from it to the last sample."""
    cursor, first, total = 0, None, 0
    for _, start_idx, n_samples, timestamp in layout:
        start = cursor if start_idx is None else start_idx
        if first is None or start < first[0]:
            first = (start, timestamp)
        cursor = start + n_samples
        total = max(total, cursor)
    assert first is not None
    return as_utc(first[1]) - timedelta(seconds=first[0] / fs), total


def _links(
    base_url: str, recording: Recording, span: int, n_leads: int
) -> tuple[fhir.DownloadLink, ...]:
    """Every download format, in windows no larger than one waveform read may serve."""
    fs = recording.fs or 1.0
    window = max(1, waveforms.MAX_READ_VALUES // max(1, n_leads))
    starts = range(0, span, window)
    links = []
    for first in starts:
        params: dict[str, Any] = {}
        if len(starts) > 1:
            params["start"] = first / fs
            if first + window < span:
                params["end"] = (first + window) / fs
        label = f", {first / fs:g}-{min(span, first + window) / fs:g} s" if len(starts) > 1 else ""
        for fmt, media_type, title in _DOWNLOADS:
            query = urlencode({"format": fmt, **params})
            url = f"{base_url}/api/v1/sessions/{recording.id}/waveform?{query}"
            links.append(fhir.DownloadLink(url, media_type, f"ECG waveform ({title}){label}"))
    return tuple(links)
