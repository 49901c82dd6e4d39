"""Per-patient alert rules: who reads and sets them, and the alerts analysis raises from them."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clarity.runtime import Runtime
from tests.factories.accounts import Account, register, staff
from tests.factories.devices import start
from tests.factories.recordings import beat_train, ecg_counts, end, settle, stream

FS = 250.0


def rules_url(account: Account) -> str:
    return f"/api/v1/patients/{account.patient_id}/alert-rules"


def put_rules(client: TestClient, patient: Account, by: Account, **rules: Any) -> None:
    response = client.put(rules_url(patient), json=rules, headers=by.headers)
    assert response.status_code == 200, response.text


def server_alerts(client: TestClient, device: Account, session_id: str) -> list[dict[str, Any]]:
    data = client.get(f"/api/v1/sessions/{session_id}/data", headers=device.headers).json()
    return [e for e in data["events"] if e["type"] == "alert" and e["source"] == "server"]


def test_rules_default_to_no_alerts_and_staff_in_charge_set_them(
    client: TestClient, runtime: Runtime
) -> None:
    device, admin = register(client), staff(runtime, "admin")
    unset = client.get(rules_url(device), headers=device.headers).json()
    assert unset["configured"] is False and unset["hr_high_bpm"] is None
    assert unset["atrial_fibrillation"] is False
    carer = staff(runtime, "clinician")
    client.post(
        f"/api/v1/patients/{device.patient_id}/care-team",
        json={"clinician_id": carer.user_id},
        headers=admin.headers,
    )
    body = {"hr_low_bpm": 40, "hr_high_bpm": 130, "pause_s": 3, "atrial_fibrillation": True}
    response = client.put(rules_url(device), json=body, headers=carer.headers)
    assert response.status_code == 200, response.text
    read = client.get(rules_url(device), headers=device.headers).json()
    assert read | body == read and read["configured"] and read["updated_by_id"] == carer.user_id
    assert read["ventricular_run_beats"] is None


def test_who_may_not_read_or_set_rules(client: TestClient, runtime: Runtime) -> None:
    device, other = register(client), register(client)
    stranger = staff(runtime, "clinician")
    body = {"hr_high_bpm": 120}
    assert client.get(rules_url(device), headers=other.headers).status_code == 404
    assert client.get(rules_url(device), headers=stranger.headers).status_code == 404
    assert client.put(rules_url(device), json=body, headers=stranger.headers).status_code == 404
    own = client.put(rules_url(device), json=body, headers=device.headers)
    assert own.status_code == 403 and "clinicians" in own.json()["detail"]
    assert client.get(rules_url(device)).status_code == 401


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"hr_low_bpm": 120, "hr_high_bpm": 100}, "hr_low_bpm must be below"),
        ({"hr_high_bpm": 1000}, "hr_high_bpm"),
        ({"pause_s": 0.2}, "pause_s"),
        ({"ventricular_run_beats": 2}, "ventricular_run_beats"),
        ({"hr_hgih_bpm": 100}, "hr_hgih_bpm"),
    ],
)
def test_invalid_rules_are_refused_with_a_reason(
    client: TestClient, runtime: Runtime, body: dict[str, Any], words: str
) -> None:
    device, admin = register(client), staff(runtime, "admin")
    response = client.put(rules_url(device), json=body, headers=admin.headers)
    assert response.status_code == 422 and words in response.json()["detail"]
    assert client.get(rules_url(device), headers=admin.headers).json()["configured"] is False


def _rate_changes() -> list[float]:
    """72 bpm, 120 bpm, 72 bpm, 120 bpm: 30 s each."""
    times: list[float] = []
    for k, hr in enumerate((72.0, 120.0, 72.0, 120.0)):
        times += [30.0 * k + t for t in beat_train(30.0, hr, start_s=0.2)]
    return times


def test_heart_rate_alerts_fire_once_per_excursion_and_go_live(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(runtime.live, "publish", lambda rid, msg: published.append(msg))
    device, admin = register(client), staff(runtime, "admin")
    put_rules(client, device, admin, hr_high_bpm=100, hr_low_bpm=50)
    session_id = start(client, device)
    stream(client, device, session_id, ecg_counts(_rate_changes(), 120.0, FS), fs=FS)
    end(client, device, session_id)
    settle(runtime)
    alerts = server_alerts(client, device, session_id)
    assert [a["subtype"] for a in alerts] == ["hr_high", "hr_high"]
    assert all(a["payload"]["heart_rate_bpm"] > 100 for a in alerts)
    assert all(a["payload"]["snippet"]["n_samples"] > 0 for a in alerts)
    live = [m for m in published if m["type"] == "alert"]
    assert [(m["subtype"], m["event_id"]) for m in live] == [
        (a["subtype"], a["event_id"]) for a in alerts
    ]


def test_pause_alert_uses_the_patients_limit_and_no_rules_means_no_alert(
    client: TestClient, runtime: Runtime
) -> None:
    beats = [t for t in beat_train(40.0) if not 20.0 < t < 22.0]
    pause_s = max(b - a for a, b in itertools.pairwise(beats))  # 3.3 s
    counts = ecg_counts(beats, 40.0, FS)
    device, admin = register(client), staff(runtime, "admin")
    quiet = start(client, device)
    stream(client, device, quiet, counts, fs=FS)
    end(client, device, quiet)
    settle(runtime)
    assert server_alerts(client, device, quiet) == []
    put_rules(client, device, admin, pause_s=3.0)
    watched = start(client, device)
    stream(client, device, watched, counts, fs=FS)
    end(client, device, watched)
    settle(runtime)
    (alert,) = server_alerts(client, device, watched)
    assert alert["subtype"] == "pause" and alert["severity"] == "high"
    assert alert["payload"]["pause_s"] == pytest.approx(pause_s, abs=0.02)
    assert alert["payload"]["limit_s"] == 3.0
