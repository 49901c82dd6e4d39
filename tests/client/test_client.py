"""The device client against the real app over real HTTP: seed calls, offline queueing, replays
after a crash, dead letters, token refresh and API keys."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from clarity.client import Backoff, ClarityClient, OfflineError
from clarity.client.delivery import judge
from clarity.monitoring import frames
from tests.factories.accounts import PASSWORD
from tests.factories.ecg import leads_dict, synthetic_ecg
from tests.factories.server import LiveServer

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
USER = {
    "full_name": "Offline Device User",
    "age": 45,
    "gender": "Male",
    "password": PASSWORD,
    "device_serial": "ECG-OFFLINE-1",
}


@pytest.fixture
def server(app: FastAPI) -> Iterator[LiveServer]:
    live = LiveServer(app)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def device(server: LiveServer, tmp_path: Path) -> Iterator[ClarityClient]:
    """A registered device with an outbox; it never waits for backoff timers in tests."""
    client = ClarityClient(server.url, outbox=tmp_path / "outbox.db", backoff=Backoff(0.01, 0.05))
    assert client.register_user(USER)["user_id"]
    yield client
    client.close()


def session_data(client: ClarityClient, session_id: str) -> dict[str, Any]:
    response = client.http.get(f"/sessions/{session_id}/data", headers=client.auth.headers())
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def device_metrics(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The device's own metrics (server analysis may add its own to the timeline)."""
    return [m for m in data["metrics_timeline"] if m["source"] == "device"]


def read_back(client: ClarityClient, session_id: str) -> frames.Frame:
    response = client.http.get(
        f"/sessions/{session_id}/waveform",
        params={"format": "binary"},
        headers=client.auth.headers(),
    )
    assert response.status_code == 200, response.text
    return frames.decode(response.content)


class DropAnswers(httpx.BaseTransport):
    """The request reaches the server, which stores it; the answer is lost on the way back."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.dropping = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.dropping:
            response.read()
            response.close()
            raise httpx.ReadError("connection reset after the server answered")
        return response

    def close(self) -> None:
        self.inner.close()


def test_seed_calls_and_exact_read_back(device: ClarityClient, tmp_path: Path) -> None:
    session_id = device.start_session("ECG-OFFLINE-1", {"os": "test", "app_version": "1.0"})
    first, second = synthetic_ecg(seed=1), synthetic_ecg(seed=2)
    assert device.upload_metrics({"heart_rate": 72, "qtc_interval": 400})["status"] == "success"
    sent = device.upload_waveform(leads_dict(first), 500, start_sample=0)
    assert sent["status"] == "success" and sent["n_samples"] == 2500
    binary = device.upload_waveform_binary(second, 500, start_sample=2500)
    assert binary["status"] == "success" and binary["start_sample"] == 2500
    event = device.upload_event("arrhythmia_detected", {"type": "PVC", "lead": "II"})
    assert event["event_id"].startswith("event_") or event["status"] == "success"
    pdf = tmp_path / "ECG_Report.pdf"
    pdf.write_bytes(PDF)
    assert device.upload_report(pdf, {"conclusion": "Normal sinus rhythm."})["report_id"]
    assert device.end_session({"duration_seconds": 10})["status"] == "success"
    assert np.array_equal(read_back(device, session_id).millivolts(), np.hstack([first, second]))
    data = session_data(device, session_id)
    assert (len(device_metrics(data)), len(data["events"]), len(data["reports"])) == (1, 1, 1)
    assert data["status"] == "ended" and device.pending == 0


def test_offline_uploads_are_queued_then_stored_exactly_once(
    device: ClarityClient, server: LiveServer, tmp_path: Path
) -> None:
    server.stop()
    session_id = device.start_session("ECG-OFFLINE-1", {"os": "test"})  # begun offline
    chunks = [synthetic_ecg(seed=s) for s in range(3)]
    answers = [
        device.upload_waveform_binary(chunk, 500, start_sample=i * 2500)
        for i, chunk in enumerate(chunks)
    ]
    device.upload_metrics({"heart_rate": 70})
    (pdf := tmp_path / "r.pdf").write_bytes(PDF)
    device.upload_report(pdf, {"conclusion": "queued while offline"})
    device.end_session({"duration_seconds": 15})
    assert {a["status"] for a in answers} == {"queued"} and device.pending == 7
    assert "Connect" in str(answers[0]["reason"])
    server.start()
    report = device.flush()
    assert (report.delivered, report.dead, report.pending, report.blocked) == (7, 0, 0, None)
    assert device.flush().delivered == 0
    data = session_data(device, session_id)
    assert data["n_samples"] == 7500 and len(data["waveform_segments"]) == 3
    assert len(device_metrics(data)) == 1 and len(data["reports"]) == 1
    assert data["status"] == "ended"
    assert np.array_equal(read_back(device, session_id).millivolts(), np.hstack(chunks))


def test_replay_after_a_crash_between_send_and_acknowledgement_stores_nothing_twice(
    server: LiveServer, tmp_path: Path
) -> None:
    lossy = DropAnswers()
    outbox = tmp_path / "outbox.db"
    device = ClarityClient(server.url, outbox=outbox, transport=lossy, backoff=Backoff(60, 60))
    device.register_user(USER | {"device_serial": "ECG-CRASH-1"})
    session_id = device.start_session("ECG-CRASH-1", {})
    lossy.dropping = True
    chunk = synthetic_ecg(seed=5)
    assert device.upload_waveform_binary(chunk, 500, start_sample=0)["status"] == "queued"
    assert device.upload_metrics({"heart_rate": 61})["status"] == "queued"
    tokens = (device.auth.token, device.auth.refresh_token)
    device.close()  # the app dies here: the server has the data, the outbox still has it too

    with ClarityClient(server.url, outbox=outbox, token=tokens[0]) as restarted:
        assert restarted.pending == 2
        report = restarted.flush()
        data = session_data(restarted, session_id)
    # the chunk reached the server before the crash (a replay now); the metrics waited behind it
    assert (report.delivered, report.duplicates, report.pending) == (2, 1, 0)
    assert data["n_samples"] == 2500 and len(data["waveform_segments"]) == 1
    assert len(device_metrics(data)) == 1


def test_permanent_refusals_go_to_dead_letters_and_the_queue_moves_on(
    device: ClarityClient, server: LiveServer
) -> None:
    session_id = device.start_session("ECG-OFFLINE-1", {})
    server.stop()
    good = synthetic_ecg(seed=3)
    device.upload_waveform_binary(good[:2], 500, ("I", "II"), start_sample=0)
    device.upload_waveform({"I": [float("nan")] * 10}, 500)  # never acceptable
    device.upload_waveform_binary(good[:2, :500], 500, ("I", "II"), start_sample=2500)
    server.start()
    report = device.flush()
    assert (report.delivered, report.dead, report.pending) == (2, 1, 0)
    (dead,) = device.dead_letters()
    assert dead.status_code in (400, 422) and dead.session_id == session_id
    assert session_data(device, session_id)["n_samples"] == 3000
    refused = device.upload_waveform({"I": [1.0]}, 20)  # online: refused at once, not queued
    assert refused["status"] == "error" and refused["status_code"] == 422
    assert len(device.dead_letters()) == 2 and device.pending == 0


def test_expired_token_is_refreshed_and_a_lost_sign_in_keeps_the_data(
    device: ClarityClient,
) -> None:
    kept_tokens: list[dict[str, Any]] = []
    device.auth.on_tokens = kept_tokens.append
    session_id = device.start_session("ECG-OFFLINE-1", {})
    device.set_token("not-a-valid-token")
    assert device.upload_metrics({"heart_rate": 80})["status"] == "success"  # refreshed
    assert kept_tokens[0]["refresh_token"] == device.auth.refresh_token  # rotated, handed over
    device.auth.token, device.auth.refresh_token = "stale", None
    kept = device.upload_metrics({"heart_rate": 81})
    assert kept["status"] == "queued" and device.courier.needs_login
    assert device.dead_letters() == []
    assert device.login("ECG-OFFLINE-1", PASSWORD)["token"]
    assert device.flush().delivered == 1
    assert len(device_metrics(session_data(device, session_id))) == 2


def test_api_key_devices_and_background_sync(
    device: ClarityClient, server: LiveServer, tmp_path: Path
) -> None:
    created = device.http.post(
        "/api-keys", json={"name": "bedside"}, headers=device.auth.headers()
    ).json()
    outbox = tmp_path / "keyed.db"
    with ClarityClient(server.url, api_key=created["key"], outbox=outbox) as keyed:
        keyed.courier.backoff = Backoff(0.01, 0.05)
        server.stop()
        keyed.start_background_sync(interval_s=0.05)
        session_id = keyed.start_session("ECG-KEY-1", {})
        assert keyed.upload_waveform_binary(synthetic_ecg(seed=9), 500)["status"] == "queued"
        server.start()
        deadline = time.monotonic() + 10
        while keyed.pending and time.monotonic() < deadline:
            time.sleep(0.02)
    assert session_data(device, session_id)["n_samples"] == 2500


def test_without_an_outbox_the_seed_shapes_and_errors(server: LiveServer) -> None:
    with ClarityClient(server.url) as client:
        assert client.upload_metrics({"heart_rate": 1}) == {
            "status": "error",
            "message": "No active session",
        }
        client.register_user(USER | {"device_serial": "ECG-DIRECT-1"})
        session_id = client.start_session("ECG-DIRECT-1", {})
        assert session_id.startswith("session_")  # chosen by the server
        server.stop()
        with pytest.raises(OfflineError):
            client.upload_metrics({"heart_rate": 1})


@pytest.mark.parametrize(
    ("status", "headers", "body", "verdict"),
    [
        (200, {}, {"status": "success"}, "delivered"),
        (401, {}, {"detail": "session ended"}, "unauthorized"),
        (408, {}, {}, "transient"),
        (429, {"Retry-After": "7"}, {}, "transient"),
        (503, {}, {}, "transient"),
        (409, {}, {"detail": "a request with this key is being processed"}, "transient"),
        (409, {}, {"detail": "session has ended"}, "permanent"),
        (422, {}, {"detail": "bad samples"}, "permanent"),
        (404, {}, {"detail": "session not found"}, "permanent"),
    ],
)
def test_verdicts(status: int, headers: dict[str, str], body: dict[str, Any], verdict: str) -> None:
    outcome = judge(httpx.Response(status, headers=headers, json=body))
    assert outcome.verdict == verdict
    assert outcome.retry_after_s == (7.0 if "Retry-After" in headers else None)


def test_backoff_grows_exponentially_with_jitter_and_honours_retry_after() -> None:
    backoff, rng = Backoff(base_s=1.0, cap_s=60.0), random.Random(1)  # noqa: S311 - jitter
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (4, 8.0), (10, 60.0)]:
        delays = [backoff.delay_s(attempt, rng, None) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1
    assert backoff.delay_s(1, rng, 30.0) == 30.0
