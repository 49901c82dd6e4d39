"""API keys: shown once, stored hashed, bound to a user and a role, revocable, expiring."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from clarity.db.models import ApiKey
from clarity.kit.time import utcnow
from clarity.runtime import Runtime
from tests.factories.accounts import register, staff


def _key_headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_key_is_shown_once_and_stored_hashed(client: TestClient, runtime: Runtime) -> None:
    device = register(client)
    created = client.post(
        "/api/v1/api-keys", json={"name": "bedside monitor"}, headers=device.headers
    )
    assert created.status_code == 201
    raw = created.json()["key"]
    assert raw.startswith("clk_")
    listing = client.get("/api/v1/api-keys", headers=device.headers)
    assert raw not in listing.text and "key" not in listing.json()[0]
    with runtime.session_factory() as db:
        stored = db.scalars(select(ApiKey)).one()
    assert raw not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    me = client.get("/api/v1/users/me", headers=_key_headers(raw))
    assert me.status_code == 200 and me.json()["user_id"] == device.user_id


def test_key_role_never_exceeds_its_owner(client: TestClient, runtime: Runtime) -> None:
    clinician = staff(runtime, "clinician")
    refused = client.post(
        "/api/v1/api-keys", json={"name": "x", "role": "admin"}, headers=clinician.headers
    )
    assert refused.status_code == 403
    lowered = client.post(
        "/api/v1/api-keys", json={"name": "x", "role": "patient"}, headers=clinician.headers
    )
    key = lowered.json()["key"]
    # a patient-role key of a clinician may not create patients, although its owner may
    response = client.post("/api/v1/patients", json={"name": "P"}, headers=_key_headers(key))
    assert response.status_code == 403


def test_revoked_key_stops_working_at_once(client: TestClient) -> None:
    device = register(client)
    created = client.post("/api/v1/api-keys", json={"name": "k"}, headers=device.headers).json()
    assert client.get("/api/v1/users/me", headers=_key_headers(created["key"])).status_code == 200
    assert (
        client.delete(f"/api/v1/api-keys/{created['id']}", headers=device.headers).status_code
        == 204
    )
    response = client.get("/api/v1/users/me", headers=_key_headers(created["key"]))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_one_user_cannot_see_or_revoke_anothers_key(client: TestClient) -> None:
    owner, other = register(client), register(client)
    created = client.post("/api/v1/api-keys", json={"name": "k"}, headers=owner.headers).json()
    assert client.get("/api/v1/api-keys", headers=other.headers).json() == []
    assert (
        client.delete(f"/api/v1/api-keys/{created['id']}", headers=other.headers).status_code == 404
    )
    assert client.get("/api/v1/users/me", headers=_key_headers(created["key"])).status_code == 200
    foreign = client.post(
        "/api/v1/api-keys", json={"name": "k", "user_id": owner.user_id}, headers=other.headers
    )
    assert foreign.status_code == 404


def test_admin_issues_keys_for_others(client: TestClient, runtime: Runtime) -> None:
    admin, device = staff(runtime, "admin"), register(client)
    created = client.post(
        "/api/v1/api-keys", json={"name": "fleet", "user_id": device.user_id}, headers=admin.headers
    )
    assert created.status_code == 201 and created.json()["role"] == "patient"
    me = client.get("/api/v1/users/me", headers=_key_headers(created.json()["key"])).json()
    assert me["user_id"] == device.user_id


def test_expired_and_forged_keys_are_refused(client: TestClient, runtime: Runtime) -> None:
    device = register(client)
    created = client.post(
        "/api/v1/api-keys", json={"name": "k", "expires_in_days": 1}, headers=device.headers
    ).json()
    with runtime.session_factory.begin() as db:
        key = db.get(ApiKey, created["id"])
        assert key is not None
        key.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/api/v1/users/me", headers=_key_headers(created["key"])).status_code == 401
    forged = created["key"][:-4] + "AAAA"
    for bad in (forged, "clk_nope_nope", "not-a-key", ""):
        assert client.get("/api/v1/users/me", headers=_key_headers(bad)).status_code == 401
