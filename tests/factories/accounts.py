"""Accounts for tests: device users registered over HTTP, staff created directly, and their headers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from clarity.auth import service
from clarity.auth.principal import Role
from clarity.db.engine import unit_of_work
from clarity.runtime import Runtime

PASSWORD = "correct horse battery"
_serials = itertools.count(1)


@dataclass(frozen=True)
class Account:
    user_id: str
    headers: dict[str, str]
    refresh_token: str
    patient_id: str | None = None


def register(client: TestClient, **overrides: Any) -> Account:
    """A device user registered through ``POST /api/v1/auth/register`` (seed 002 fields)."""
    n = next(_serials)
    body = {
        "full_name": f"Device User {n}",
        "age": 45,
        "gender": "Male",
        "phone": f"+1555000{n:04d}",
        "address": "1 Main St",
        "password": PASSWORD,
        "device_serial": f"ECG-{n:05d}",
        **overrides,
    }
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Account(
        data["user_id"], bearer(data["token"]), data["refresh_token"], data["patient_id"]
    )


def staff(runtime: Runtime, role: Role, name: str = "Staff") -> Account:
    """A clinician or admin created directly, signed in with a fresh session."""
    n = next(_serials)
    with unit_of_work(runtime.session_factory) as db:
        user = service.create_user(
            db,
            service.NewUser(
                full_name=f"{name} {n}",
                password=PASSWORD,
                role=role,
                email=f"{role}{n}@example.org",
            ),
        )
        tokens = service.open_session(db, runtime.settings, user)
    return Account(user.id, bearer(tokens.access_token), tokens.refresh_token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
