"""Text with NUL characters is refused with a 422 on every database alike (PostgreSQL cannot store
it, SQLite could), wherever it comes from, and nothing of the request is written."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clarity.db.engine import _has_nul
from clarity.runtime import Runtime
from tests.factories.accounts import register, staff


def test_nul_detection_covers_raw_and_json_escaped_nul_only() -> None:
    assert _has_nul("a\x00b")
    assert _has_nul('{"k": "a\\u0000"}')
    assert _has_nul('{"k": "\\\\\\u0000"}')  # an escaped backslash, then an escaped NUL
    assert not _has_nul('{"k": "\\\\u0000"}')  # the literal text \u0000, escaped
    assert not _has_nul("plain text")
    assert not _has_nul(b"\x00binary")


def test_registration_with_nul_in_a_name_is_refused_and_nothing_is_written(
    client: TestClient,
) -> None:
    body = {
        "full_name": "Ann\x00Lee",
        "age": 40,
        "gender": "Female",
        "phone": "+15550009999",
        "address": "1 Main St",
        "password": "correct horse battery",
        "device_serial": "ECG-NUL-1",
    }
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"]
    login = client.post(
        "/api/v1/auth/login", json={"identifier": "ECG-NUL-1", "password": body["password"]}
    )
    assert login.status_code == 401


def test_nul_nested_in_json_metadata_is_refused(client: TestClient) -> None:
    device = register(client)
    started = client.post(
        "/api/v1/sessions/start",
        json={"device_serial": "ECG-X", "device_info": {"firmware": {"build": "1.0\x00"}}},
        headers=device.headers,
    )
    assert started.status_code == 422
    sessions = client.get(f"/api/v1/users/{device.user_id}/sessions", headers=device.headers)
    assert sessions.json()["sessions"] == []


def test_nul_in_a_search_query_is_refused(client: TestClient, runtime: Runtime) -> None:
    clinician = staff(runtime, "clinician")
    response = client.get("/api/v1/patients", params={"q": "a\x00"}, headers=clinician.headers)
    assert response.status_code == 422


def test_nul_detection_looks_inside_json_objects() -> None:
    assert _has_nul({"a": ["x", {"b": "\x00"}]})
    assert _has_nul({"\x00": 1})
    assert not _has_nul({"a": [1, 2.5, None, "ok"]})
