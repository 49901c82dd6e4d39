"""``build_bundle``: one device session as a FHIR R4 ``Bundle`` of type ``collection``.

Entries, in order: the ``DiagnosticReport`` (LOINC 11524-6 "EKG study") whose ``result`` lists
every observation, the ``Patient``, the recorder ``Device`` (and Clarity's own software
``Device`` when the server produced values), the ECG waveform ``Observation`` (and its
``DocumentReference`` for a long recording), one ``Observation`` per metric and source, and one per
arrhythmia event. Resources refer to each other by ``urn:uuid`` full URLs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from clarity.interop.fhir.codes import ECG_STUDY, ELECTROCARDIAC, concept
from clarity.interop.fhir.context import BuildContext, identifier, instant, period
from clarity.interop.fhir.observations import event_entries, metric_entries
from clarity.interop.fhir.records import (
    DeviceFacts,
    MetricPoint,
    PatientFacts,
    ReportFile,
    SessionRecord,
)
from clarity.interop.fhir.waveform import waveform_entries

FHIR_MEDIA_TYPE = "application/fhir+json"
REPORT_KEY = "report"
_CONCLUSION_KEYS = ("conclusion", "interpretation", "statements")

Entry = tuple[str, dict[str, Any]]


def build_bundle(
    record: SessionRecord, *, generated_at: datetime, bundle_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """The FHIR R4 JSON of one session.

    Parameters
    ----------
    record : the session's facts, gathered (and access-checked) by the caller.
    generated_at : aware time of the export; the bundle's ``timestamp`` and the report's
        ``issued``.
    bundle_id : the bundle's own id (a fresh UUID when omitted). Resource ids do not depend on
        it: they are derived from the recording id, so they are the same in every export.

    Returns
    -------
    dict
        JSON-ready ``Bundle`` (``type`` ``collection``).
    """
    ctx = BuildContext(
        recording_id=record.recording_id,
        generated_at=generated_at,
        observation_status="final" if record.status == "ended" else "preliminary",
        has_patient=record.patient is not None,
        has_waveform=record.waveform is not None,
    )
    observations = _observations(ctx, record)
    entries: list[Entry] = [(REPORT_KEY, _report(ctx, record, observations))]
    if record.patient is not None:
        entries.append(("patient", _patient(ctx, record.patient)))
    entries.append(("device/recorder", _recorder(ctx, record.device)))
    if _mentions(observations, ctx.full_url("device/clarity")):
        entries.append(("device/clarity", _software(ctx, record.software_version)))
    entries += observations
    return _bundle(ctx, entries, bundle_id or uuid.uuid4())


def _observations(ctx: BuildContext, record: SessionRecord) -> list[Entry]:
    entries = waveform_entries(ctx, record.waveform) if record.waveform is not None else []
    points = record.metrics + _summary_points(record)
    return entries + metric_entries(ctx, points) + event_entries(ctx, record.events)


def _summary_points(record: SessionRecord) -> tuple[MetricPoint, ...]:
    """The server summary's measurements, when no server metric was streamed."""
    summary = record.server_summary
    if not summary or any(p.source == "server" for p in record.metrics):
        return ()
    nested = summary.get("measurements")
    values = nested if isinstance(nested, Mapping) else summary
    end = record.ended_at or record.started_at
    return (MetricPoint("server", record.started_at, values, end),)


def _mentions(entries: list[Entry], url: str) -> bool:
    return any(resource.get("device", {}).get("reference") == url for _, resource in entries)


def _bundle(ctx: BuildContext, entries: list[Entry], bundle_id: uuid.UUID) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "id": str(bundle_id),
        "meta": {"lastUpdated": instant(ctx.generated_at)},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
        "type": "collection",
        "timestamp": instant(ctx.generated_at),
        "entry": [{"fullUrl": ctx.full_url(key), "resource": res} for key, res in entries],
    }


def _patient(ctx: BuildContext, patient: PatientFacts) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": ctx.resource_id("patient"),
        "identifier": [identifier("patient", patient.id)],
    }
    if patient.name:
        resource["name"] = [{"text": patient.name}]
    if patient.sex:
        resource["gender"] = patient.sex
    if patient.birth_date:
        resource["birthDate"] = patient.birth_date.isoformat()
    return resource


def _recorder(ctx: BuildContext, device: DeviceFacts) -> dict[str, Any]:
    info = device.info
    model = _text(info.get("model"))
    resource: dict[str, Any] = {
        "resourceType": "Device",
        "id": ctx.resource_id("device/recorder"),
        "deviceName": [
            {"name": model, "type": "model-name"}
            if model
            else {"name": "ECG recorder", "type": "user-friendly-name"}
        ],
        "type": concept("ECG recorder"),
    }
    optional = {
        "serialNumber": device.serial,
        "manufacturer": _text(info.get("manufacturer")),
        "modelNumber": model,
    }
    resource |= {name: value for name, value in optional.items() if value}
    versions = _versions(info)
    if versions:
        resource["version"] = versions
    if ctx.has_patient:
        resource["patient"] = ctx.reference("patient")
    return resource


def _versions(info: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``device_info`` entries that name a version (``app_version``, ``os``, ``firmware``…)."""
    names = [k for k in info if k == "os" or "version" in k.lower() or k.lower() == "firmware"]
    return [
        {"type": concept(name), "value": value}
        for name in names
        if (value := _text(info[name])) is not None
    ]


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None


def _software(ctx: BuildContext, version: str) -> dict[str, Any]:
    return {
        "resourceType": "Device",
        "id": ctx.resource_id("device/clarity"),
        "deviceName": [{"name": "Clarity ECG analysis", "type": "user-friendly-name"}],
        "type": concept("ECG analysis software"),
        "version": [{"value": version}],
    }


def _report(ctx: BuildContext, record: SessionRecord, results: list[Entry]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": ctx.resource_id(REPORT_KEY),
        "identifier": [identifier("recording", record.recording_id)],
        "status": "final" if record.status == "ended" else "partial",
        "category": [concept("Electrocardiac", ELECTROCARDIAC)],
        "code": concept("ECG study", ECG_STUDY),
        **ctx.subject(),
        "effectivePeriod": period(record.started_at, record.ended_at),
        "issued": instant(ctx.generated_at),
        "result": [ctx.reference(key) for key, res in results if _is_observation(res)],
    }
    conclusion = conclusion_of(record)
    if conclusion:
        resource["conclusion"] = conclusion
    if record.reports:
        resource["presentedForm"] = [_attachment(report) for report in record.reports]
    return resource


def _is_observation(resource: dict[str, Any]) -> bool:
    return bool(resource["resourceType"] == "Observation")


def conclusion_of(record: SessionRecord) -> str | None:
    """The server's interpretation, else the newest report's conclusion, else the device's."""
    server = _summary_text(record.server_summary)
    if server:
        return server
    for report in sorted(record.reports, key=lambda r: r.created, reverse=True):
        if report.conclusion and report.conclusion.strip():
            return report.conclusion.strip()
    return _summary_text(record.device_summary)


def _summary_text(summary: Mapping[str, Any] | None) -> str | None:
    for key in _CONCLUSION_KEYS:
        value = (summary or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, list):
            parts = [_statement(item) for item in value]
            text = "; ".join(p for p in parts if p)
            if text:
                return text
    return None


def _statement(item: Any) -> str | None:
    if isinstance(item, Mapping):
        item = item.get("text") or item.get("statement")
    return item.strip() if isinstance(item, str) and item.strip() else None


def _attachment(report: ReportFile) -> dict[str, Any]:
    attachment: dict[str, Any] = {
        "contentType": report.content_type,
        "url": report.url,
        "title": report.filename,
        "creation": instant(report.created),
    }
    if report.size_bytes is not None:
        attachment["size"] = report.size_bytes
    return attachment
