"""Patients: the permission matrix (each role against each resource), search, paging, audit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clarity.db.models import AuditEvent, Patient
from clarity.runtime import Runtime
from tests.factories.accounts import Account, register, staff


@pytest.fixture
def world(client: TestClient, runtime: Runtime) -> dict[str, Any]:
    """Two clinicians with a patient each, an admin, and two self-registered device users."""
    doc_a, doc_b = staff(runtime, "clinician", "A"), staff(runtime, "clinician", "B")
    admin = staff(runtime, "admin")
    dev_1, dev_2 = register(client), register(client)
    pat_a = _create(client, doc_a, name="Alice Anders", age=70, sex="F")
    pat_b = _create(client, doc_b, name="Bob Berg", birth_date="1980-06-15")
    return {
        "doc_a": doc_a,
        "doc_b": doc_b,
        "admin": admin,
        "dev_1": dev_1,
        "dev_2": dev_2,
        "pat_a": pat_a,
        "pat_b": pat_b,
    }


def _create(client: TestClient, who: Account, **fields: Any) -> str:
    response = client.post("/api/v1/patients", json=fields, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _patient_ids(world: dict[str, Any], names: list[str]) -> set[str]:
    ids = {
        "pat_a": world["pat_a"],
        "pat_b": world["pat_b"],
        "dev_1": world["dev_1"].patient_id,
        "dev_2": world["dev_2"].patient_id,
    }
    return {ids[n] for n in names}


VISIBLE = {
    "admin": ["pat_a", "pat_b", "dev_1", "dev_2"],
    "doc_a": ["pat_a"],
    "doc_b": ["pat_b"],
    "dev_1": ["dev_1"],
    "dev_2": ["dev_2"],
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_sees_exactly_its_patients(
    client: TestClient, world: dict[str, Any], who: str
) -> None:
    account: Account = world[who]
    listing = client.get("/api/v1/patients", headers=account.headers)
    assert listing.status_code == 200
    seen = {p["id"] for p in listing.json()["items"]}
    assert seen == _patient_ids(world, VISIBLE[who])
    everyone = _patient_ids(world, ["pat_a", "pat_b", "dev_1", "dev_2"])
    for patient_id in everyone:
        get = client.get(f"/api/v1/patients/{patient_id}", headers=account.headers)
        patch = client.patch(
            f"/api/v1/patients/{patient_id}", json={"phone": "+1 555 0100"}, headers=account.headers
        )
        expected = 200 if patient_id in seen else 404
        assert (get.status_code, patch.status_code) == (expected, expected), patient_id


def test_foreign_id_answers_exactly_like_a_missing_one(
    client: TestClient, world: dict[str, Any]
) -> None:
    doc_a = world["doc_a"]
    foreign = client.get(f"/api/v1/patients/{world['pat_b']}", headers=doc_a.headers)
    missing = client.get("/api/v1/patients/pat_doesnotexist", headers=doc_a.headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == missing.json()["detail"]


def test_only_staff_create_patients(
    client: TestClient, world: dict[str, Any], runtime: Runtime
) -> None:
    with runtime.session_factory() as db:
        before = db.scalar(select(func.count()).select_from(Patient))
    response = client.post(
        "/api/v1/patients", json={"name": "Mallory"}, headers=world["dev_1"].headers
    )
    assert response.status_code == 403
    with runtime.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Patient)) == before


def test_unauthenticated_requests_are_refused(client: TestClient, world: dict[str, Any]) -> None:
    assert client.get("/api/v1/patients").status_code == 401
    assert client.get(f"/api/v1/patients/{world['pat_a']}").status_code == 401
    assert client.post("/api/v1/patients", json={"name": "X"}).status_code == 401


def test_care_team_assignment_opens_access(client: TestClient, world: dict[str, Any]) -> None:
    doc_a, doc_b = world["doc_a"], world["doc_b"]
    url = f"/api/v1/patients/{world['pat_a']}/care-team"
    assert (
        client.post(url, json={"clinician_id": doc_b.user_id}, headers=doc_b.headers).status_code
        == 404
    )
    assert (
        client.post(url, json={"clinician_id": doc_b.user_id}, headers=doc_a.headers).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/patients/{world['pat_a']}", headers=doc_b.headers).status_code == 200
    )
    not_clinician = client.post(
        url, json={"clinician_id": world["dev_1"].user_id}, headers=doc_a.headers
    )
    assert not_clinician.status_code == 422


def test_search_by_name_and_paging(client: TestClient, world: dict[str, Any]) -> None:
    admin = world["admin"]
    for i in range(5):
        _create(client, admin, name=f"Search Target {i}")
    found = client.get(
        "/api/v1/patients", params={"q": "target", "limit": 2}, headers=admin.headers
    ).json()
    assert found["total"] == 5 and len(found["items"]) == 2
    page_3 = client.get(
        "/api/v1/patients", params={"q": "TARGET", "limit": 2, "offset": 4}, headers=admin.headers
    ).json()
    assert [p["name"] for p in page_3["items"]] == ["Search Target 4"]
    literal = client.get("/api/v1/patients", params={"q": "%"}, headers=admin.headers).json()
    assert literal["total"] == 0


def test_age_is_derived_from_birth_date(client: TestClient, world: dict[str, Any]) -> None:
    bob = client.get(f"/api/v1/patients/{world['pat_b']}", headers=world["doc_b"].headers).json()
    assert bob["birth_date"] == "1980-06-15"
    assert 45 <= bob["age"] <= 47


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "X", "age": -1},
        {"name": "X", "age": 200},
        {"name": "X", "email": "not-an-email"},
        {"name": "X", "sex": "banana"},
        {"name": "X", "birth_date": "2999-01-01"},
        {"name": "X", "unknown_field": 1},
        {"name": "X" * 201},
        {"name": "X", "phone": "call me maybe"},
    ],
)
def test_invalid_patient_is_422_and_writes_nothing(
    client: TestClient, world: dict[str, Any], runtime: Runtime, body: dict[str, Any]
) -> None:
    with runtime.session_factory() as db:
        before = db.scalar(select(func.count()).select_from(Patient))
    response = client.post("/api/v1/patients", json=body, headers=world["admin"].headers)
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "status_code", "timestamp", "request_id"}
    with runtime.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Patient)) == before


def test_every_read_and_change_is_audited(
    client: TestClient, world: dict[str, Any], runtime: Runtime
) -> None:
    doc_a, patient_id = world["doc_a"], world["pat_a"]
    client.get(f"/api/v1/patients/{patient_id}", headers=doc_a.headers)
    client.patch(
        f"/api/v1/patients/{patient_id}", json={"medical_history": "HTN"}, headers=doc_a.headers
    )
    client.get("/api/v1/patients", headers=doc_a.headers)
    with runtime.session_factory() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.actor_id == doc_a.user_id)).all()
    actions = [(e.action, e.resource_id) for e in events]
    assert ("patient.create", patient_id) in actions
    assert ("patient.read", patient_id) in actions
    assert ("patient.update", patient_id) in actions
    listed = [e for e in events if e.action == "patient.list"]
    assert listed and listed[-1].detail == {"query": None, "ids": [patient_id]}
    assert all(e.request_id for e in events if e.action.startswith("patient."))


def test_audit_log_is_admin_only_and_filterable(client: TestClient, world: dict[str, Any]) -> None:
    admin, doc_a = world["admin"], world["doc_a"]
    client.get(f"/api/v1/patients/{world['pat_a']}", headers=doc_a.headers)
    assert client.get("/api/v1/audit", headers=doc_a.headers).status_code == 403
    assert client.get("/api/v1/audit", headers=world["dev_1"].headers).status_code == 403
    page = client.get(
        "/api/v1/audit",
        params={"resource_id": world["pat_a"], "action": "patient.read"},
        headers=admin.headers,
    ).json()
    assert page["total"] == 1
    event = page["items"][0]
    assert event["actor_id"] == doc_a.user_id and event["client_ip"]


def test_absurd_paging_is_422(client: TestClient, world: dict[str, Any]) -> None:
    admin = world["admin"]
    for params in ({"offset": 10**30}, {"offset": -1}, {"limit": 0}, {"limit": 10_000}):
        assert (
            client.get("/api/v1/patients", params=params, headers=admin.headers).status_code == 422
        )
    assert (
        client.get("/api/v1/audit", params={"offset": 10**30}, headers=admin.headers).status_code
        == 422
    )
