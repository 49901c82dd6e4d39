"""Bad uploads: a 4xx envelope naming the problem, nothing written, the device keeps working."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clarity.db.models import MetricSample, Report, WaveformChunk
from clarity.runtime import Runtime
from tests.factories.accounts import Account, register
from tests.factories.devices import T0, binary_frame, iso, later, send_binary, send_json, start
from tests.factories.ecg import leads_dict, synthetic_ecg

ENVELOPE = {"detail", "status_code", "timestamp", "request_id"}


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.session_factory() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def device(client: TestClient) -> Account:
    return register(client)


@pytest.fixture
def session_id(client: TestClient, device: Account) -> str:
    session = start(client, device)
    assert send_json(client, device, session, synthetic_ecg(seed=1)).status_code == 200
    return session


def _leads(samples: Any) -> dict[str, Any]:
    return leads_dict(np.asarray(samples, dtype=np.float64))


BAD_JSON_BODIES: list[tuple[str, dict[str, Any], int, str]] = [
    ("mismatched lengths", {"leads": {"I": [0.1, 0.2], "II": [0.1]}}, 422, "different lengths"),
    ("absurd amplitude", {"leads": {"I": [0.1, 900.0]}}, 422, "millivolts"),
    ("too slow", {"sampling_rate": 20, "leads": {"I": [0.1, 0.2]}}, 422, "sampling_rate"),
    ("rate change", {"sampling_rate": 250}, 422, "differs"),
    ("lead set change", {"leads": {"I": [0.1], "V1": [0.2]}}, 422, "differ"),
    ("no samples", {"leads": {"I": []}}, 422, "no samples"),
    ("strings", {"leads": {"I": ["a", "b"]}}, 422, "leads.I"),
    ("no leads", {"leads": {}}, 422, "leads"),
    ("bad timestamp", {"timestamp": "yesterday"}, 422, "timestamp"),
    ("duplicate lead", {"leads": {"avr": [0.1], "aVR": [0.2]}}, 422, "twice"),
]


@pytest.mark.parametrize(
    ("name", "change", "status", "says"), BAD_JSON_BODIES, ids=[b[0] for b in BAD_JSON_BODIES]
)
def test_bad_json_chunks(
    client: TestClient,
    runtime: Runtime,
    device: Account,
    session_id: str,
    name: str,
    change: dict[str, Any],
    status: int,
    says: str,
) -> None:
    body = {
        "timestamp": iso(later(5)),
        "sampling_rate": 500,
        "leads": leads_dict(synthetic_ecg(seed=2)),
        **change,
    }
    before = _count(runtime, WaveformChunk)
    response = client.post(
        f"/api/v1/sessions/{session_id}/waveform", json=body, headers=device.headers
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == ENVELOPE and says in response.json()["detail"]
    assert _count(runtime, WaveformChunk) == before
    assert (
        send_json(client, device, session_id, synthetic_ecg(seed=3), at=later(10)).status_code
        == 200
    )


def test_nan_and_infinity_are_refused(
    client: TestClient, runtime: Runtime, device: Account, session_id: str
) -> None:
    before = _count(runtime, WaveformChunk)
    for literal in (b"NaN", b"Infinity"):
        body = (
            b'{"timestamp": "2025-01-08T12:35:01Z", "sampling_rate": 500, "leads": {"I": [0.1, %s]}}'
            % literal
        )
        response = client.post(
            f"/api/v1/sessions/{session_id}/waveform",
            content=body,
            headers={**device.headers, "Content-Type": "application/json"},
        )
        assert 400 <= response.status_code < 500, response.text
    frame = binary_frame(np.zeros((12, 10), dtype=np.int16))
    as_float = np.full((12, 10), np.nan, dtype=np.float32)
    from clarity.monitoring import frames

    nan_frame = frames.encode(
        frames.Frame(500.0, tuple(frames.decode(frame).leads), as_float, 1.0, None, None)
    )
    assert send_binary(client, device, session_id, nan_frame).status_code == 422
    assert _count(runtime, WaveformChunk) == before


def test_truncated_and_garbage_binary(
    client: TestClient, runtime: Runtime, device: Account, session_id: str
) -> None:
    good = binary_frame(np.zeros((12, 100), dtype=np.int16))
    before = _count(runtime, WaveformChunk)
    for body in (good[:-1], good[:20], b"hello world" * 10, good + b"\x00"):
        response = send_binary(client, device, session_id, body)
        assert response.status_code == 422 and set(response.json()) == ENVELOPE
    assert _count(runtime, WaveformChunk) == before


def test_unknown_media_type(client: TestClient, device: Account, session_id: str) -> None:
    response = client.post(
        f"/api/v1/sessions/{session_id}/waveform",
        content=b"I,II\n1,2",
        headers={**device.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 415


def test_malformed_json_chunk(client: TestClient, device: Account, session_id: str) -> None:
    response = client.post(
        f"/api/v1/sessions/{session_id}/waveform",
        content=b'{"leads": {"I": [0.1,',
        headers={**device.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_oversized_chunk_is_413(
    client: TestClient, runtime: Runtime, device: Account, session_id: str
) -> None:
    runtime.settings.max_body_bytes = 100_000
    from clarity.main import create_app

    with TestClient(create_app(runtime=runtime)) as small:
        response = send_json(
            small, device, session_id, synthetic_ecg(seed=4, duration_s=10), at=later(5)
        )
    assert response.status_code == 413


def test_unknown_and_ended_sessions(
    client: TestClient, runtime: Runtime, device: Account, session_id: str
) -> None:
    assert send_json(client, device, "session_nope", synthetic_ecg()).status_code == 404
    assert (
        client.post(
            f"/api/v1/sessions/{session_id}/end", json={}, headers=device.headers
        ).status_code
        == 200
    )
    late = send_json(client, device, session_id, synthetic_ecg(seed=5), at=later(60))
    assert late.status_code == 409 and "ended" in late.json()["detail"]
    metrics = client.post(
        f"/api/v1/sessions/{session_id}/metrics",
        headers=device.headers,
        json={"timestamp": iso(later(60)), "metrics": {"heart_rate": 70}},
    )
    assert metrics.status_code == 409
    with runtime.session_factory() as db:
        device_metrics = select(func.count()).where(MetricSample.source == "device")
        assert db.scalar(device_metrics) == 0  # the server's own analysis may have added some


def test_metrics_validation(client: TestClient, device: Account, session_id: str) -> None:
    url = f"/api/v1/sessions/{session_id}/metrics"
    assert (
        client.post(url, json={"metrics": {"heart_rate": 70}}, headers=device.headers).status_code
        == 422
    )
    ok = client.post(
        url, json={"timestamp": iso(T0), "metrics": {"heart_rate": 70}}, headers=device.headers
    )
    replay = client.post(
        url, json={"timestamp": iso(T0), "metrics": {"heart_rate": 70}}, headers=device.headers
    )
    clash = client.post(
        url, json={"timestamp": iso(T0), "metrics": {"heart_rate": 99}}, headers=device.headers
    )
    assert ok.json()["metrics_id"] == replay.json()["metrics_id"] and replay.json()["duplicate"]
    assert clash.status_code == 409


def test_unauthenticated_uploads_are_refused(client: TestClient, session_id: str) -> None:
    response = client.post(f"/api/v1/sessions/{session_id}/waveform", json={})
    assert response.status_code == 401


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_report_upload_and_its_refusals(
    client: TestClient, runtime: Runtime, device: Account, session_id: str
) -> None:
    url = "/api/v1/reports/upload"
    meta = f'{{"type": "report_generated", "session_id": "{session_id}", "report": {{"conclusion": "Normal"}}}}'
    ok = client.post(
        url,
        files={"file": ("ECG_Report.pdf", PDF, "application/pdf")},
        data={"metadata": meta},
        headers=device.headers,
    )
    assert ok.status_code == 200 and ok.json()["report_id"].startswith("report_")
    assert client.get(ok.json()["url"]).content == PDF
    again = client.post(
        url, files={"file": ("ECG_Report.pdf", PDF, "application/pdf")}, headers=device.headers
    )
    assert again.json()["report_id"] == ok.json()["report_id"] and again.json()["duplicate"]
    refusals = [
        ({"file": ("x.pdf", b"GIF89a....", "application/pdf")}, {}, 415),
        ({"file": ("x.pdf", PDF[:-8], "application/pdf")}, {}, 422),
        ({"file": ("x.pdf", b"", "application/pdf")}, {}, 422),
        ({"file": ("x.pdf", PDF + b"1", "application/pdf")}, {"metadata": "{not json"}, 422),
        ({"file": ("x.pdf", PDF + b"2", "application/pdf")}, {"metadata": "[1]"}, 422),
        (
            {"file": ("x.pdf", PDF + b"3", "application/pdf")},
            {"metadata": '{"session_id": "someone_else"}'},
            404,
        ),
    ]
    for files, data, status in refusals:
        assert (
            client.post(url, files=files, data=data, headers=device.headers).status_code == status
        )
    assert client.post(url, data={"metadata": "{}"}, headers=device.headers).status_code == 422
    assert _count(runtime, Report) == 1
    other = register(client)
    assert (
        client.get(f"/api/v1/reports/{ok.json()['report_id']}", headers=other.headers).status_code
        == 404
    )
    mine = client.get(f"/api/v1/reports/{ok.json()['report_id']}", headers=device.headers).json()
    assert mine["conclusion"] == "Normal" and mine["recording_id"]


@pytest.mark.parametrize("query", ["start=inf", "end=inf", "start=1e308", "end=1e308", "start=nan"])
def test_absurd_windows_are_422(
    client: TestClient, device: Account, session_id: str, query: str
) -> None:
    response = client.get(f"/api/v1/sessions/{session_id}/waveform?{query}", headers=device.headers)
    assert response.status_code == 422


def test_absurd_start_sample_is_422(client: TestClient, runtime: Runtime, device: Account) -> None:
    session = start(client, device)
    body = {
        "timestamp": iso(T0),
        "sampling_rate": 500,
        "start_sample": 2**62,
        "leads": {"I": [0.1]},
    }
    url = f"/api/v1/sessions/{session}/waveform"
    assert client.post(url, json=body, headers=device.headers).status_code == 422
    frame = binary_frame(np.zeros((1, 10), dtype=np.int16), start_idx=2**62, leads=("I",))
    assert send_binary(client, device, session, frame).status_code == 422
    assert _count(runtime, WaveformChunk) == 0
