"""The live WebSocket stream: a device pushes chunks and metrics, watchers follow, nobody else."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from clarity.db.models import MetricSample, WaveformChunk
from clarity.monitoring import frames, stream
from clarity.runtime import Runtime
from tests.factories.accounts import Account, register, staff
from tests.factories.devices import T0, binary_frame, iso, later, send_json, start
from tests.factories.ecg import leads_dict, synthetic_ecg

pytestmark = pytest.mark.timeout(60)
POLICY_VIOLATION = 1008
ANALYSIS = frozenset({"finding", "alert"})


def _path(session_id: str, mode: str | None = None) -> str:
    query = f"?mode={mode}" if mode else ""
    return f"/api/v1/sessions/{session_id}/stream{query}"


def _chunk_body(samples: np.ndarray[Any, Any], **extra: Any) -> dict[str, Any]:
    return {"timestamp": iso(T0), "sampling_rate": 500, "leads": leads_dict(samples), **extra}


def _ready(ws: WebSocketTestSession) -> dict[str, Any]:
    message: dict[str, Any] = ws.receive_json()
    assert message["type"] == "ready", message
    return message


def _device_news(ws: WebSocketTestSession) -> dict[str, Any]:
    """The next live message that is not from server-side analysis (which runs concurrently)."""
    while (message := ws.receive_json())["type"] in ANALYSIS:
        continue
    return dict(message)


def _refusal(ws: WebSocketTestSession) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return closed.value.code, closed.value.reason


def _count(runtime: Runtime, model: type[WaveformChunk] | type[MetricSample]) -> int:
    with runtime.session_factory() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def _carer(client: TestClient, runtime: Runtime, device: Account) -> Account:
    """A clinician put in the care team of ``device``'s patient."""
    clinician, admin = staff(runtime, "clinician"), staff(runtime, "admin")
    response = client.post(
        f"/api/v1/patients/{device.patient_id}/care-team",
        json={"clinician_id": clinician.user_id},
        headers=admin.headers,
    )
    assert response.status_code < 300, response.text
    return clinician


def test_device_pushes_json_chunks_that_read_back_exactly(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    first, second = synthetic_ecg(seed=1, duration_s=2), synthetic_ecg(seed=2, duration_s=2)
    with client.websocket_connect(_path(session_id), headers=device.headers) as ws:
        ready = _ready(ws)
        ws.send_json(_chunk_body(first, client_id="chunk-1"))
        ws.send_json(_chunk_body(second, client_id="chunk-2", timestamp=iso(later(2))))
        acks = [ws.receive_json(), ws.receive_json()]
    assert ready["mode"] == "push" and ready["session_id"] == session_id
    assert [(a["type"], a["seq"], a["client_id"], a["kind"]) for a in acks] == [
        ("ack", 1, "chunk-1", "waveform"),
        ("ack", 2, "chunk-2", "waveform"),
    ]
    assert all(a["n_samples"] == 1000 and a["duplicate"] is False for a in acks)
    back = client.get(f"/api/v1/sessions/{session_id}/waveform", headers=device.headers).json()
    assert np.array_equal(np.array(list(back["leads"].values())), np.hstack([first, second]))


def test_binary_frames_store_bit_exact_and_retries_are_duplicates(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    counts = np.random.default_rng(3).integers(-3000, 3000, size=(2, 1500), dtype=np.int16)
    parts = [
        binary_frame(counts[:, i : i + 500], start_idx=i, at=later(i / 500), leads=("I", "II"))
        for i in (0, 500, 1000)
    ]
    with client.websocket_connect(_path(session_id), headers=device.headers) as ws:
        _ready(ws)
        for body in (parts[2], parts[0], parts[1], parts[0]):
            ws.send_bytes(body)
        acks = [ws.receive_json() for _ in range(4)]
    assert [a["seq"] for a in acks] == [1, 2, 3, 4]  # binary frames are matched by seq
    assert [a["start_sample"] for a in acks] == [1000, 0, 500, 0]
    assert [a["duplicate"] for a in acks] == [False, False, False, True]
    assert acks[3]["waveform_id"] == acks[1]["waveform_id"] and _count(runtime, WaveformChunk) == 3
    raw = client.get(
        f"/api/v1/sessions/{session_id}/waveform",
        params={"format": "binary"},
        headers=device.headers,
    )
    decoded = frames.decode(raw.content)
    assert decoded.gain == 200.0 and np.array_equal(decoded.values, counts)


def test_a_retried_json_chunk_replays_its_first_answer(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    body = _chunk_body(synthetic_ecg(seed=4, duration_s=1), client_id="chunk-7")
    with client.websocket_connect(_path(session_id), headers=device.headers) as ws:
        _ready(ws)
        ws.send_json(body)
        ws.send_json(body)
        first, again = ws.receive_json(), ws.receive_json()
    assert again["waveform_id"] == first["waveform_id"] and again["duplicate"] is True
    assert _count(runtime, WaveformChunk) == 1


def test_bad_messages_get_errors_and_the_socket_keeps_working(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    good = synthetic_ecg(seed=5, duration_s=1)
    nan_leads = {"I": [0.1, math.nan, 0.2]}
    bad: list[tuple[str | bytes, int, str]] = [
        ("{not json", 400, "malformed JSON"),
        ("[1, 2]", 400, "JSON object"),
        (json.dumps({"type": "selfie", "client_id": "x1"}), 400, "unknown message type"),
        (json.dumps({"timestamp": iso(T0), "leads": {"I": [0.1]}, "client_id": "x2"}), 422, ""),
        (json.dumps(_chunk_body(good[:1], sampling_rate=500, leads=nan_leads)), 422, "NaN"),
        (json.dumps(_chunk_body(good * 1000)), 422, "send millivolts"),
        (binary_frame(np.zeros((1, 10), np.int16))[:-3], 422, "header promises"),
        (binary_frame(np.zeros((1, 10), np.int16), fs=20.0), 422, "sampling_rate"),
        (json.dumps({"type": "metrics", "timestamp": iso(T0)}), 422, "metrics"),
        (json.dumps({"type": "auth", "token": "again"}), 400, "already authenticated"),
    ]
    with client.websocket_connect(_path(session_id), headers=device.headers) as ws:
        _ready(ws)
        for data, _, _ in bad:
            ws.send_bytes(data) if isinstance(data, bytes) else ws.send_text(data)
        errors = [ws.receive_json() for _ in bad]
        ws.send_json(_chunk_body(good, client_id="good"))
        ack = ws.receive_json()
    for error, (_, status_code, text) in zip(errors, bad, strict=True):
        assert error["type"] == "error" and error["status_code"] == status_code, error
        assert text in error["detail"], error
    assert [e["client_id"] for e in errors[2:4]] == ["x1", "x2"]
    assert ack["type"] == "ack" and ack["seq"] == len(bad) + 1 and ack["client_id"] == "good"
    assert _count(runtime, WaveformChunk) == 1


def test_a_chunk_that_conflicts_with_the_session_is_refused_alone(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    with client.websocket_connect(_path(session_id), headers=device.headers) as ws:
        _ready(ws)
        ws.send_json(_chunk_body(synthetic_ecg(seed=6, duration_s=1)))
        ws.send_json(_chunk_body(synthetic_ecg(seed=7, duration_s=1), sampling_rate=250))
        ws.send_json({"type": "ping", "client_id": "p"})
        replies = [ws.receive_json() for _ in range(3)]
    assert [r["type"] for r in replies] == ["ack", "error", "pong"]
    assert "differs from this session's 500 Hz" in replies[1]["detail"]


def test_watchers_receive_chunks_metrics_events_and_the_end(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    carer = _carer(client, runtime, device)
    samples = synthetic_ecg(seed=8, duration_s=2)
    metrics = {"type": "metrics_update", "timestamp": iso(T0), "metrics": {"heart_rate": 72}}
    event = {
        "type": "arrhythmia_detected",
        "timestamp": iso(T0),
        "arrhythmia": {"type": "PVC", "severity": "mild", "waveform_snippet": [0.1, 0.5]},
    }
    with client.websocket_connect(_path(session_id, "watch"), headers=carer.headers) as watcher:
        assert _ready(watcher)["role"] == "clinician"
        with client.websocket_connect(_path(session_id), headers=device.headers) as ws:
            _ready(ws)
            for message in (_chunk_body(samples), metrics, event):
                ws.send_json(message)
            acks = [ws.receive_json() for _ in range(3)]
        assert send_json(client, device, session_id, samples, at=later(2)).status_code == 200
        client.post(f"/api/v1/sessions/{session_id}/end", json={}, headers=device.headers)
        seen = [_device_news(watcher) for _ in range(5)]
    assert [a["kind"] for a in acks] == ["waveform", "metrics", "event"]
    assert [m["type"] for m in seen] == ["chunk", "metrics", "event", "chunk", "session_ended"]
    chunk, metric, device_event, posted = seen[:4]
    assert chunk["waveform_id"] == acks[0]["waveform_id"] and chunk["first_sample"] == 0
    assert posted["first_sample"] == 1000  # a chunk uploaded over HTTP is announced too
    assert metric["metrics"] == {"heart_rate": 72} and metric["metrics_id"] == acks[1]["metrics_id"]
    assert device_event["detail"] == {"type": "PVC", "severity": "mild"}


def test_metrics_and_events_posted_over_http_reach_watchers(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    carer = _carer(client, runtime, device)
    event = {"type": "error_report", "timestamp": iso(T0), "error": {"error_type": "serial"}}
    with client.websocket_connect(_path(session_id, "watch"), headers=carer.headers) as watcher:
        _ready(watcher)
        url = f"/api/v1/sessions/{session_id}"
        metrics = {"timestamp": iso(T0), "metrics": {"heart_rate": 64}}
        assert client.post(f"{url}/metrics", json=metrics, headers=device.headers).is_success
        assert client.post(f"{url}/events", json=event, headers=device.headers).is_success
        seen = [_device_news(watcher) for _ in range(2)]
    assert [m["type"] for m in seen] == ["metrics", "event"]
    assert seen[0]["metrics"] == {"heart_rate": 64}


def test_a_chunk_notice_carries_a_drawable_preview(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    samples = synthetic_ecg(seed=9, duration_s=2)  # 500 Hz
    with client.websocket_connect(_path(session_id, "watch"), headers=device.headers) as watcher:
        _ready(watcher)
        assert send_json(client, device, session_id, samples).status_code == 200
        notice = _device_news(watcher)
    preview = notice["preview"]
    assert notice["sampling_rate"] == 500 and notice["n_samples"] == 1000
    assert preview["sampling_rate"] == 250 and preview["decimation"] == 2
    assert list(preview["leads"]) == list(leads_dict(samples))
    lead_ii = np.array(preview["leads"]["II"])
    assert lead_ii.shape == (500,)
    assert lead_ii.max() == pytest.approx(samples[1].max()), "R peaks keep their height"


def test_watchers_cannot_write(client: TestClient, runtime: Runtime) -> None:
    device = register(client)
    session_id = start(client, device)
    samples = synthetic_ecg(seed=10, duration_s=1)
    with client.websocket_connect(_path(session_id, "watch"), headers=device.headers) as watcher:
        _ready(watcher)
        watcher.send_json(_chunk_body(samples, client_id="w1"))
        watcher.send_bytes(binary_frame(np.zeros((1, 100), np.int16)))
        watcher.send_json({"type": "metrics", "timestamp": iso(T0), "metrics": {"hr": 70}})
        watcher.send_json({"type": "ping"})
        replies = [watcher.receive_json() for _ in range(4)]
    assert [(r["type"], r.get("status_code")) for r in replies] == [
        ("error", 403),
        ("error", 403),
        ("error", 403),
        ("pong", None),
    ]
    assert replies[0]["client_id"] == "w1" and "read-only" in replies[0]["detail"]
    assert _count(runtime, WaveformChunk) == 0 and _count(runtime, MetricSample) == 0


def test_other_peoples_sessions_are_refused(client: TestClient, runtime: Runtime) -> None:
    device, stranger = register(client), register(client)
    session_id = start(client, device)
    outsider = staff(runtime, "clinician")
    carer = _carer(client, runtime, device)
    cases = [
        (stranger, None, "session not found"),
        (stranger, "watch", "session not found"),
        (outsider, "watch", "session not found"),
        (carer, None, "only the session's owner pushes data"),
    ]
    for account, mode, reason in cases:
        with client.websocket_connect(_path(session_id, mode), headers=account.headers) as ws:
            code, text = _refusal(ws)
        assert code == POLICY_VIOLATION and reason in text, (mode, text)


@pytest.mark.parametrize(
    ("path_suffix", "headers", "first_message", "reason"),
    [
        ("", {}, {"type": "ping"}, "authenticate first"),
        ("", {"Authorization": "Bearer not-a-token"}, None, "token"),
        ("", {"X-API-Key": "clr_nope_nope"}, None, "invalid API key"),
        ("", {}, {"type": "auth", "api_key": "clr_nope_nope"}, "invalid API key"),
        ("?token=abc", {}, None, "never in the URL"),
        ("?mode=listen", {}, None, "mode must be push or watch"),
    ],
)
def test_unauthenticated_connections_are_refused(
    client: TestClient,
    path_suffix: str,
    headers: dict[str, str],
    first_message: dict[str, Any] | None,
    reason: str,
) -> None:
    device = register(client)
    session_id = start(client, device)
    with client.websocket_connect(_path(session_id) + path_suffix, headers=headers) as ws:
        if first_message is not None:
            ws.send_json(first_message)
        code, text = _refusal(ws)
    assert code == POLICY_VIOLATION and reason in text, text


def test_a_silent_unauthenticated_connection_is_closed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "AUTH_TIMEOUT_S", 0.05)
    with client.websocket_connect(_path("anything")) as ws:
        code, text = _refusal(ws)
    assert code == POLICY_VIOLATION and "authenticate within" in text


def test_a_browser_authenticates_with_its_first_message(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    token = device.headers["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect(_path(session_id, "watch")) as ws:
        ws.send_json({"type": "auth", "token": token})
        assert _ready(ws)["user_id"] == device.user_id


def test_a_revoked_api_key_ends_the_device_stream(client: TestClient) -> None:
    device = register(client)
    session_id = start(client, device)
    created = client.post("/api/v1/api-keys", json={"name": "monitor"}, headers=device.headers)
    key = created.json()
    samples = synthetic_ecg(seed=11, duration_s=1)
    with client.websocket_connect(_path(session_id), headers={"X-API-Key": key["key"]}) as ws:
        _ready(ws)
        ws.send_json(_chunk_body(samples))
        assert ws.receive_json()["type"] == "ack"
        revoked = client.delete(f"/api/v1/api-keys/{key['id']}", headers=device.headers)
        assert revoked.status_code == 204
        ws.send_json(_chunk_body(samples, timestamp=iso(later(1))))
        error = ws.receive_json()
        code, text = _refusal(ws)
    assert error["status_code"] == 401 and code == POLICY_VIOLATION and "revoked" in text


def test_a_watcher_whose_sign_in_ended_is_cut_off(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "RECHECK_S", 0.05)
    device = register(client)
    session_id = start(client, device)
    carer = _carer(client, runtime, device)
    with client.websocket_connect(_path(session_id, "watch"), headers=carer.headers) as watcher:
        _ready(watcher)
        assert client.post("/api/v1/auth/logout", headers=carer.headers).status_code == 204
        code, text = _refusal(watcher)
    assert code == POLICY_VIOLATION and text.startswith("access ended")


def test_the_device_hears_findings_and_alerts_but_not_its_own_data(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    with client.websocket_connect(_path(session_id), headers=device.headers) as ws:
        recording_id = _ready(ws)["recording_id"]
        ws.send_json(_chunk_body(synthetic_ecg(seed=12, duration_s=1)))
        assert ws.receive_json()["type"] == "ack"
        runtime.live.publish(recording_id, {"type": "alert", "code": "test-marker"})
        heard = [ws.receive_json()]
        while heard[-1].get("code") != "test-marker":  # real findings may come first
            heard.append(ws.receive_json())
    assert {m["type"] for m in heard} <= ANALYSIS, "the device gets no notices of its own data"
