"""Accounts over HTTP: the seed's register/login contract, tokens, refresh, logout, throttling."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clarity.auth.tokens import issue_access_token
from clarity.db.models import AuditEvent, Patient, User
from clarity.kit.time import utcnow
from clarity.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.factories.accounts import PASSWORD, bearer, register, staff


def _count(runtime: Runtime, model: type[User] | type[Patient]) -> int:
    with runtime.session_factory() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_register_returns_seed_shape_and_creates_own_patient(client: TestClient) -> None:
    account = register(client, email="jo@example.org")
    me = client.get("/api/v1/users/me", headers=account.headers)
    assert me.status_code == 200
    profile = me.json()
    assert profile["user_id"] == account.user_id
    assert profile["role"] == "patient"
    assert profile["patient_id"] == account.patient_id
    assert "password" not in me.text and "hash" not in me.text
    patient = client.get(f"/api/v1/patients/{account.patient_id}", headers=account.headers)
    assert patient.status_code == 200
    assert patient.json()["sex"] == "male"


@pytest.mark.parametrize(
    "identifier", ["jo@example.org", "JO@EXAMPLE.ORG", "+1 (555) 123-4567", "ecg-777", "jo.user"]
)
def test_login_accepts_every_identifier(client: TestClient, identifier: str) -> None:
    register(
        client,
        email="jo@example.org",
        phone="+15551234567",
        device_serial="ECG-777",
        username="jo.user",
        full_name="Jo Example",
    )
    response = client.post(
        "/api/v1/auth/login", json={"identifier": identifier, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"user_id", "token", "user_profile"} <= set(body)
    assert body["user_profile"]["device_serial"] == "ECG-777"
    assert client.get("/api/v1/users/me", headers=bearer(body["token"])).status_code == 200


def test_login_by_unique_full_name_as_the_seed_client_does(client: TestClient) -> None:
    register(client, full_name="Unique Person")
    ok = client.post(
        "/api/v1/auth/login", json={"identifier": "unique person", "password": PASSWORD}
    )
    assert ok.status_code == 200
    register(client, full_name="Twin Name")
    register(client, full_name="Twin Name")
    ambiguous = client.post(
        "/api/v1/auth/login", json={"identifier": "Twin Name", "password": PASSWORD}
    )
    assert ambiguous.status_code == 401


def test_wrong_password_and_unknown_user_answer_the_same(client: TestClient) -> None:
    register(client, device_serial="ECG-1")
    wrong = client.post("/api/v1/auth/login", json={"identifier": "ECG-1", "password": "nope-nope"})
    unknown = client.post(
        "/api/v1/auth/login", json={"identifier": "ECG-2", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_duplicate_identifier_is_a_conflict_and_writes_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    register(client, device_serial="ECG-DUP")
    users, patients = _count(runtime, User), _count(runtime, Patient)
    again = client.post(
        "/api/v1/auth/register",
        json={"full_name": "Other", "password": PASSWORD, "device_serial": "ecg-dup"},
    )
    assert again.status_code == 409
    assert "device serial" in again.json()["detail"]
    assert (_count(runtime, User), _count(runtime, Patient)) == (users, patients)


def test_password_is_hashed_with_argon2(client: TestClient, runtime: Runtime) -> None:
    account = register(client)
    with runtime.session_factory() as db:
        user = db.get(User, account.user_id)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_oauth2_password_form_for_swagger(client: TestClient) -> None:
    register(client, email="form@example.org")
    response = client.post(
        "/api/v1/auth/token", data={"username": "form@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    assert client.get(
        "/api/v1/users/me", headers=bearer(response.json()["access_token"])
    ).is_success


def test_expired_access_token_is_refused(client: TestClient) -> None:
    account = register(client)
    claims = jwt.decode(
        account.headers["Authorization"][7:], TEST_SECRET, algorithms=["HS256"], issuer="clarity"
    )
    expired, _ = issue_access_token(
        TEST_SECRET, user_id=account.user_id, role="patient", session_id=claims["sid"], minutes=-1
    )
    response = client.get("/api/v1/users/me", headers=bearer(expired))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_forged_and_garbage_tokens_are_refused(client: TestClient) -> None:
    account = register(client)
    forged, _ = issue_access_token(
        "another-secret-of-sufficient-length-000000",
        user_id=account.user_id,
        role="admin",
        session_id="ses_x",
        minutes=5,
    )
    for token in (forged, "garbage", account.refresh_token):
        assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401


def test_refresh_rotates_and_reuse_ends_the_session(client: TestClient) -> None:
    account = register(client)
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200
    new = first.json()
    assert client.get("/api/v1/users/me", headers=bearer(new["token"])).status_code == 200
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert replay.status_code == 401
    # the replay of a rotated token ends the session: the newest tokens die with it
    assert client.get("/api/v1/users/me", headers=bearer(new["token"])).status_code == 401
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 401


def test_logout_revokes_access_and_refresh_at_once(client: TestClient) -> None:
    account = register(client)
    assert client.post("/api/v1/auth/logout", headers=account.headers).status_code == 204
    assert client.get("/api/v1/users/me", headers=account.headers).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert refreshed.status_code == 401


def test_disabled_account_loses_access(client: TestClient, runtime: Runtime) -> None:
    account = register(client)
    with runtime.session_factory.begin() as db:
        user = db.get(User, account.user_id)
        assert user is not None
        user.is_active = False
    assert client.get("/api/v1/users/me", headers=account.headers).status_code == 401


def test_login_is_rate_limited_with_retry_after(client: TestClient, runtime: Runtime) -> None:
    runtime.settings.login_rate_limit = "3/60"
    register(client, device_serial="ECG-RL")
    codes = [
        client.post(
            "/api/v1/auth/login", json={"identifier": "ECG-RL", "password": "wrong-pass"}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    blocked = client.post("/api/v1/auth/login", json={"identifier": "ECG-RL", "password": PASSWORD})
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert blocked.json()["status_code"] == 429


def test_logins_are_audited(client: TestClient, runtime: Runtime) -> None:
    account = register(client, device_serial="ECG-AUD")
    client.post("/api/v1/auth/login", json={"identifier": "ECG-AUD", "password": PASSWORD})
    with runtime.session_factory() as db:
        actions = db.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == account.user_id)
        ).all()
    assert "auth.login" in actions and "user.create" in actions


def test_admin_creates_clinician_but_others_cannot(client: TestClient, runtime: Runtime) -> None:
    admin = staff(runtime, "admin")
    clinician = staff(runtime, "clinician")
    patient = register(client)
    body = {"full_name": "Dr New", "password": PASSWORD, "role": "clinician", "email": "new@x.org"}
    assert client.post("/api/v1/users", json=body, headers=admin.headers).status_code == 201
    for other in (clinician, patient):
        response = client.post(
            "/api/v1/users", json=body | {"email": "b@x.org"}, headers=other.headers
        )
        assert response.status_code == 403
    assert client.get("/api/v1/users", headers=patient.headers).status_code == 403
    listing = client.get("/api/v1/users", headers=admin.headers).json()
    assert listing["total"] == 4


def test_access_token_lifetime_follows_settings(client: TestClient) -> None:
    account = register(client)
    claims = jwt.decode(
        account.headers["Authorization"][7:], TEST_SECRET, algorithms=["HS256"], issuer="clarity"
    )
    lifetime = claims["exp"] - claims["iat"]
    assert lifetime == 30 * 60
    assert claims["exp"] > time.time()
    assert utcnow() + timedelta(minutes=31) > utcnow()
