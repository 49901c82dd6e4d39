"""Patients over HTTP. Which patients a caller sees is decided in the service, never here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from clarity.api.deps import CurrentPrincipal, DbSession
from clarity.kit.pagination import MAX_LIMIT, MAX_OFFSET, Page
from clarity.patients import service
from clarity.patients.schemas import CareAssignmentCreate, PatientCreate, PatientRead, PatientUpdate

router = APIRouter(prefix="/api/v1/patients", tags=["patients"])


@router.post("", response_model=PatientRead, status_code=201)
def create_patient(body: PatientCreate, principal: CurrentPrincipal, db: DbSession) -> PatientRead:
    """Create a patient (clinicians and admins); a clinician creator cares for them."""
    return PatientRead.model_validate(service.create_patient(db, principal, body))


@router.get("", response_model=Page[PatientRead])
def list_patients(
    principal: CurrentPrincipal,
    db: DbSession,
    q: Annotated[str | None, Query(max_length=100, description="part of the name")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Page[PatientRead]:
    """The patients you may see, by name, optionally searched by part of the name."""
    rows, total = service.list_patients(db, principal, query=q, limit=limit, offset=offset)
    items = [PatientRead.model_validate(p) for p in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/{patient_id}", response_model=PatientRead)
def get_patient(patient_id: str, principal: CurrentPrincipal, db: DbSession) -> PatientRead:
    """One patient (404 when it does not exist or is not yours to see)."""
    return PatientRead.model_validate(service.get_patient(db, principal, patient_id))


@router.patch("/{patient_id}", response_model=PatientRead)
def update_patient(
    patient_id: str, body: PatientUpdate, principal: CurrentPrincipal, db: DbSession
) -> PatientRead:
    """Change some fields of a patient."""
    return PatientRead.model_validate(service.update_patient(db, principal, patient_id, body))


@router.post("/{patient_id}/care-team", status_code=204)
def assign_clinician(
    patient_id: str, body: CareAssignmentCreate, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """Add a clinician to the patient's care team."""
    service.assign_clinician(db, principal, patient_id, body.clinician_id)
    return Response(status_code=204)
