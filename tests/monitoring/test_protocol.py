"""The ECM monitor's protocol (seed 002) end to end: exact storage, retries, ownership."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clarity.db.models import AuditEvent, IdempotencyRecord, WaveformChunk
from clarity.monitoring import frames
from clarity.runtime import Runtime
from clarity.storage import MemoryBlobStore
from tests.factories.accounts import register, staff
from tests.factories.devices import T0, binary_frame, iso, later, send_binary, send_json, start
from tests.factories.ecg import synthetic_ecg


def _chunks(runtime: Runtime) -> int:
    with runtime.session_factory() as db:
        return db.scalar(select(func.count()).select_from(WaveformChunk)) or 0


def test_seed_client_flow_and_exact_json_round_trip(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    first, second = synthetic_ecg(seed=1), synthetic_ecg(seed=2)
    assert send_json(client, device, session_id, first).json()["status"] == "success"
    assert send_json(client, device, session_id, second, at=later(5)).status_code == 200
    metrics = client.post(
        f"/api/v1/sessions/{session_id}/metrics",
        headers=device.headers,
        json={"timestamp": iso(T0), "metrics": {"heart_rate": 75, "qtc_interval": 400}},
    )
    assert metrics.json()["metrics_id"].startswith("metric_")
    back = client.get(f"/api/v1/sessions/{session_id}/waveform", headers=device.headers).json()
    samples = np.array(list(back["leads"].values()))
    assert np.array_equal(samples, np.hstack([first, second]))  # the very floats that were sent
    assert back["sampling_rate"] == 500 and back["n_samples"] == 5000
    ended = client.post(
        f"/api/v1/sessions/{session_id}/end",
        headers=device.headers,
        json={"summary": {"duration_seconds": 10, "average_heart_rate": 75}},
    )
    assert ended.json()["status"] == "success"
    listed = client.get(f"/api/v1/users/{device.user_id}/sessions", headers=device.headers).json()
    item = listed["sessions"][0]
    assert item | {"session_id": session_id, "status": "ended", "duration_seconds": 10.0} == item
    # the device's metrics say 75; the server's own analysis (which may finish first) finds ~72
    assert 70 <= item["average_heart_rate"] <= 76


def test_window_and_lead_selection(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    samples = synthetic_ecg(seed=3)
    send_json(client, device, session_id, samples)
    back = client.get(
        f"/api/v1/sessions/{session_id}/waveform",
        params={"start": 1, "end": 2.5, "leads": "V1,ii"},
        headers=device.headers,
    ).json()
    assert list(back["leads"]) == ["V1", "II"]
    assert back["leads"]["II"] == samples[1, 500:1250].tolist()
    assert back["start_sample"] == 500


def test_binary_frames_round_trip_bit_exact(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    rng = np.random.default_rng(7)
    counts = rng.integers(-3000, 3000, size=(12, 2500), dtype=np.int16)
    response = send_binary(client, device, session_id, binary_frame(counts, start_idx=0))
    assert response.status_code == 200 and response.json()["n_samples"] == 2500
    raw = client.get(
        f"/api/v1/sessions/{session_id}/waveform",
        params={"format": "binary"},
        headers=device.headers,
    )
    assert raw.headers["content-type"] == frames.MEDIA_TYPE
    decoded = frames.decode(raw.content)
    assert decoded.values.dtype == np.int16 and decoded.gain == 200.0
    assert np.array_equal(decoded.values, counts)


def test_out_of_order_and_repeated_chunks_store_the_exact_stream(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    counts = np.random.default_rng(1).integers(-2000, 2000, size=(2, 3000), dtype=np.int16)
    parts = [(i * 1000, counts[:, i * 1000 : (i + 1) * 1000]) for i in range(3)]
    for index in (2, 0, 2, 1, 0):
        start_idx, block = parts[index]
        body = binary_frame(
            block, start_idx=start_idx, at=later(start_idx / 500), leads=("I", "II")
        )
        assert send_binary(client, device, session_id, body).status_code == 200
    assert _chunks(runtime) == 3
    decoded = frames.decode(
        client.get(
            f"/api/v1/sessions/{session_id}/waveform",
            params={"format": "binary"},
            headers=device.headers,
        ).content
    )
    assert np.array_equal(decoded.values, counts)


def test_idempotency_key_replays_the_first_answer(client: TestClient, runtime: Runtime) -> None:
    device = register(client)
    session_id = start(client, device)
    samples = synthetic_ecg(seed=4)
    key = {"Idempotency-Key": "chunk-0001"}
    first = send_json(client, device, session_id, samples, headers=key).json()
    again = send_json(client, device, session_id, samples, headers=key).json()
    assert again["waveform_id"] == first["waveform_id"] and again["duplicate"] is True
    assert _chunks(runtime) == 1
    misuse = send_json(client, device, session_id, synthetic_ecg(seed=5), headers=key)
    assert misuse.status_code == 422 and "Idempotency-Key" in misuse.json()["detail"]
    with runtime.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_overlapping_indexed_chunks_with_other_content_conflict(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    counts = np.zeros((1, 1000), dtype=np.int16)
    assert (
        send_binary(
            client, device, session_id, binary_frame(counts, start_idx=0, leads=("II",))
        ).status_code
        == 200
    )
    clash = send_binary(
        client,
        device,
        session_id,
        binary_frame(counts + 5, start_idx=500, at=later(1), leads=("II",)),
    )
    assert clash.status_code == 409
    assert _chunks(runtime) == 1


def test_another_users_session_is_invisible_and_unwritable(
    client: TestClient, runtime: Runtime
) -> None:
    owner, intruder = register(client), register(client)
    session_id = start(client, owner)
    send_json(client, owner, session_id, synthetic_ecg(seed=6))
    chunks = _chunks(runtime)
    for method, path in (("get", "data"), ("get", "waveform")):
        assert (
            client.request(
                method, f"/api/v1/sessions/{session_id}/{path}", headers=intruder.headers
            ).status_code
            == 404
        )
    assert send_json(client, intruder, session_id, synthetic_ecg(seed=7)).status_code == 404
    assert (
        client.post(
            f"/api/v1/sessions/{session_id}/end", json={}, headers=intruder.headers
        ).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/users/{owner.user_id}/sessions", headers=intruder.headers).status_code
        == 404
    )
    assert _chunks(runtime) == chunks
    # the intruder may use the same client session id for a session of their own
    assert start(client, intruder, session_id=session_id) == session_id


def test_clinician_reads_sessions_of_patients_in_care_only(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    send_json(client, device, session_id, synthetic_ecg(seed=8))
    carer, stranger, admin = (
        staff(runtime, "clinician"),
        staff(runtime, "clinician"),
        staff(runtime, "admin"),
    )
    assert (
        client.get(f"/api/v1/sessions/{session_id}/data", headers=carer.headers).status_code == 404
    )
    client.post(
        f"/api/v1/patients/{device.patient_id}/care-team",
        json={"clinician_id": carer.user_id},
        headers=admin.headers,
    )
    data = client.get(f"/api/v1/sessions/{session_id}/data", headers=carer.headers)
    assert data.status_code == 200 and len(data.json()["waveform_segments"]) == 1
    assert (
        client.get(f"/api/v1/sessions/{session_id}/data", headers=stranger.headers).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/users/{device.user_id}/sessions", headers=carer.headers).status_code
        == 200
    )
    assert send_json(client, carer, session_id, synthetic_ecg(seed=9)).status_code == 404
    with runtime.session_factory() as db:
        reads = db.scalars(
            select(AuditEvent.actor_id).where(AuditEvent.action == "recording.read")
        ).all()
    assert carer.user_id in reads


def test_offline_session_id_is_kept_and_start_is_idempotent(client: TestClient) -> None:
    device = register(client)
    first = client.post(
        "/api/v1/sessions/start",
        headers=device.headers,
        json={"session_id": "session_20250108_123456", "device_serial": "ECG-T"},
    )
    again = client.post(
        "/api/v1/sessions/start",
        headers=device.headers,
        json={"session_id": "session_20250108_123456", "device_serial": "ECG-T"},
    )
    assert first.json()["session_id"] == "session_20250108_123456"
    assert first.json()["created"] is True and again.json()["created"] is False
    assert first.json()["id"] == again.json()["id"]


def test_events_and_crash_reports(client: TestClient, runtime: Runtime) -> None:
    device = register(client)
    session_id = start(client, device)
    arrhythmia = {
        "type": "arrhythmia_detected",
        "timestamp": iso(later(27)),
        "arrhythmia": {
            "type": "PVC",
            "severity": "mild",
            "description": "Premature Ventricular Contraction",
            "heart_rate_at_event": 78,
            "lead": "II",
            "waveform_snippet": [0.1, 0.5, -0.2],
        },
    }
    crash = {
        "type": "error_report",
        "timestamp": iso(later(30)),
        "error": {
            "error_type": "serial_communication_error",
            "error_message": "Failed to read",
            "stack_trace": "Traceback...",
            "system_info": {"os": "darwin"},
        },
    }
    for body in (arrhythmia, crash, arrhythmia):
        assert (
            client.post(
                f"/api/v1/sessions/{session_id}/events", json=body, headers=device.headers
            ).status_code
            == 200
        )
    events = client.get(f"/api/v1/sessions/{session_id}/data", headers=device.headers).json()[
        "events"
    ]
    assert [(e["type"], e["subtype"]) for e in events] == [
        ("arrhythmia_detected", "PVC"),
        ("error_report", "serial_communication_error"),
    ]
    assert events[0]["payload"]["waveform_snippet_samples"] == 3
    store = runtime.blob_store
    assert isinstance(store, MemoryBlobStore)
    assert [key for key in store.keys() if key.startswith("snippets/")]  # noqa: SIM118 - a method, not a dict
    missing = client.post(
        f"/api/v1/sessions/{session_id}/events",
        headers=device.headers,
        json={"type": "error_report", "timestamp": iso(T0)},
    )
    assert missing.status_code == 422


def test_exports_to_files(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    send_json(client, device, session_id, synthetic_ecg(seed=10))
    for fmt, kind in (
        ("wfdb", "application/zip"),
        ("edf", "application/octet-stream"),
        ("csv", "text/csv"),
    ):
        response = client.get(
            f"/api/v1/sessions/{session_id}/waveform",
            params={"format": fmt},
            headers=device.headers,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(kind)
        assert "attachment" in response.headers["content-disposition"]
