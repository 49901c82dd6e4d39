"""A session made through the API for the FHIR tests, and lookups into an exported bundle."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from fastapi.testclient import TestClient

from clarity.db.models import MetricSample, Recording, RecordingEvent
from clarity.runtime import Runtime
from tests.factories.accounts import Account, register
from tests.factories.devices import iso, later, send_json, start
from tests.factories.ecg import synthetic_ecg

LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
MDC, SNOMED = "urn:iso:std:iso:11073:10101", "http://snomed.info/sct"
MDC_LEADS = {
    "I": "131329", "II": "131330", "III": "131389", "aVR": "131390", "aVL": "131391",
    "aVF": "131392", "V1": "131331", "V2": "131332", "V3": "131333", "V4": "131334",
    "V5": "131335", "V6": "131336",
}  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class Made:
    """A finished session made through the API, and what went into it."""

    device: Account
    session_id: str
    recording_id: str
    samples: npt.NDArray[np.float64]


def _metrics(client: TestClient, device: Account, session_id: str) -> None:
    snapshots = [
        {"heart_rate": 75, "pr_interval": 160, "qrs_duration": 85, "qt_interval": 380,
         "qtc_interval": 400, "rr_interval": 800, "qrs_axis": 45, "hrv": 45, "st_segment": 0,
         "sampling_rate": 500},
        {"heart_rate": 77, "pr_interval": 162, "qrs_duration": 85, "qt_interval": 376,
         "qtc_interval": 402, "rr_interval": 780, "qrs_axis": 47},
    ]  # fmt: skip
    for i, metrics in enumerate(snapshots):
        response = client.post(
            f"/api/v1/sessions/{session_id}/metrics",
            headers=device.headers,
            json={"timestamp": iso(later(i)), "metrics": metrics},
        )
        assert response.status_code == 200, response.text


def _event_and_report(client: TestClient, device: Account, session_id: str) -> None:
    arrhythmia = {
        "type": "PVC",
        "severity": "mild",
        "description": "Premature Ventricular Contraction",
        "heart_rate_at_event": 78,
        "lead": "II",
    }
    event = client.post(
        f"/api/v1/sessions/{session_id}/events",
        headers=device.headers,
        json={"type": "arrhythmia_detected", "timestamp": iso(later(2)), "arrhythmia": arrhythmia},
    )
    assert event.status_code == 200, event.text
    report = client.post(
        "/api/v1/reports/upload",
        headers=device.headers,
        files={"file": ("ecg.pdf", PDF, "application/pdf")},
        data={"metadata": json.dumps({"session_id": session_id, "conclusion": "Device: normal"})},
    )
    assert report.status_code == 200, report.text


def _server_results(runtime: Runtime, recording_id: str) -> None:
    """Results in the shape the server's analysis writes them: a metric, a finding, a summary."""
    with runtime.session_factory() as db:
        db.add(
            MetricSample(
                recording_id=recording_id,
                source="server",
                timestamp=later(1),
                heart_rate_bpm=74.5,
                values={"heart_rate_bpm": 74.5, "qrs_duration_ms": 92.0, "p_axis_deg": 55.0},
            )
        )
        db.add(
            RecordingEvent(
                recording_id=recording_id,
                source="server",
                type="arrhythmia_detected",
                subtype="ventricular_run",
                severity="critical",
                timestamp=later(3),
                payload={
                    "type": "ventricular_tachycardia",
                    "description": "Run of consecutive ventricular beats",
                    "status": "ended",
                    "end_time": iso(later(4)),
                    "heart_rate_at_event": 150.0,
                },
            )
        )
        recording = db.get(Recording, recording_id)
        assert recording is not None
        recording.server_summary = {"conclusion": "Sinus rhythm. Normal ECG."}
        db.commit()


def make_session(client: TestClient, runtime: Runtime, *, duration_s: float = 5.0) -> Made:
    """Register, set the birth date, start, stream metrics, 12 leads, an event, a PDF; end."""
    device = register(client, full_name="Ada Lovelace", gender="Female")
    patched = client.patch(
        f"/api/v1/patients/{device.patient_id}",
        headers=device.headers,
        json={"birth_date": "1980-02-29"},
    )
    assert patched.status_code == 200, patched.text
    info = {"os": "linux 6.1", "app_version": "1.2.3", "model": "M12", "manufacturer": "Acme"}
    session_id = start(client, device, device_serial="ECG-00042", device_info=info)
    _metrics(client, device, session_id)
    samples = synthetic_ecg(duration_s=duration_s, seed=5)
    assert send_json(client, device, session_id, samples).status_code == 200
    _event_and_report(client, device, session_id)
    ended = client.post(
        f"/api/v1/sessions/{session_id}/end",
        headers=device.headers,
        json={"summary": {"average_heart_rate": 76}, "timestamp": iso(later(duration_s))},
    )
    assert ended.status_code == 200, ended.text
    data = client.get(f"/api/v1/sessions/{session_id}/data", headers=device.headers).json()
    _server_results(runtime, data["id"])
    return Made(device, session_id, data["id"], samples)


def export(client: TestClient, made: Made) -> dict[str, Any]:
    response = client.get(f"/api/v1/sessions/{made.session_id}/fhir", headers=made.device.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    bundle: dict[str, Any] = response.json()
    return bundle


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_loinc(bundle: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [
        o
        for o in resources(bundle, "Observation")
        if any(c == {**c, "system": LOINC, "code": code} for c in o["code"].get("coding", []))
    ]


def waveform_observation(bundle: dict[str, Any]) -> dict[str, Any]:
    found = [
        o
        for o in resources(bundle, "Observation")
        if o["code"].get("coding", [{}])[0].get("code") == "131328"
    ]
    assert len(found) == 1
    return found[0]
