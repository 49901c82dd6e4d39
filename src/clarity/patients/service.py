"""Patient use cases. Every read and change is audited; ids a caller may not see answer 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from clarity.auth import audit
from clarity.auth import service as auth_service
from clarity.auth.principal import Principal
from clarity.db.models import Patient, User
from clarity.errors import Forbidden, NotFound, Unprocessable
from clarity.patients import repository
from clarity.patients.schemas import PatientCreate, PatientUpdate

_GENDER_TO_SEX = {"male": "male", "m": "male", "female": "female", "f": "female"}


def create_patient(db: Session, principal: Principal, data: PatientCreate) -> Patient:
    """A clinician or admin creates a patient; a clinician creator is put in charge of them."""
    if not (principal.is_clinician or principal.is_admin):
        raise Forbidden("only clinicians and administrators create patients")
    patient = Patient(**data.model_dump(), created_by_id=principal.user_id)
    repository.add_patient(db, patient)
    if principal.is_clinician:
        repository.add_care_assignment(db, patient.id, principal.user_id)
    audit.record(db, principal, "patient.create", "patient", patient.id)
    return patient


def create_self_patient(db: Session, user: User) -> Patient:
    """The patient record of a self-registered device user, linked to their account."""
    sex = _GENDER_TO_SEX.get((user.gender or "").strip().lower(), "unknown")
    patient = Patient(
        name=user.full_name,
        age=user.age,
        sex=sex,
        email=user.email,
        phone=user.phone,
        user_id=user.id,
        created_by_id=user.id,
    )
    repository.add_patient(db, patient)
    audit.record(db, None, "patient.create", "patient", patient.id, actor_id=user.id)
    return patient


def get_patient(
    db: Session, principal: Principal, patient_id: str, *, audit_read: bool = True
) -> Patient:
    """The patient, if ``principal`` may see it; otherwise ``NotFound`` (as if it did not exist)."""
    patient = repository.get_visible_patient(db, principal, patient_id)
    if patient is None:
        raise NotFound("patient not found")
    if audit_read:
        audit.record(db, principal, "patient.read", "patient", patient.id)
    return patient


def list_patients(
    db: Session, principal: Principal, *, query: str | None, limit: int, offset: int
) -> tuple[list[Patient], int]:
    """The patients ``principal`` may see, optionally filtered by name."""
    patients, total = repository.list_visible_patients(
        db, principal, query=query, limit=limit, offset=offset
    )
    audit.record(
        db,
        principal,
        "patient.list",
        "patient",
        None,
        detail={"query": query, "ids": [p.id for p in patients]},
    )
    return patients, total


def update_patient(
    db: Session, principal: Principal, patient_id: str, changes: PatientUpdate
) -> Patient:
    """Apply the fields given; a patient may edit only their own record."""
    patient = get_patient(db, principal, patient_id, audit_read=False)
    fields: dict[str, Any] = changes.model_dump(exclude_unset=True)
    if "name" in fields and fields["name"] is None:
        raise Unprocessable("name cannot be cleared")
    if "sex" in fields and fields["sex"] is None:
        fields["sex"] = "unknown"
    for name, value in fields.items():
        setattr(patient, name, value)
    db.flush()
    audit.record(
        db, principal, "patient.update", "patient", patient.id, detail={"fields": sorted(fields)}
    )
    return patient


def assign_clinician(db: Session, principal: Principal, patient_id: str, clinician_id: str) -> None:
    """Admins, or a clinician already caring for the patient, add a clinician to the care team."""
    if not (principal.is_admin or principal.is_clinician):
        raise Forbidden("only clinicians and administrators manage care teams")
    patient = get_patient(db, principal, patient_id, audit_read=False)
    clinician = auth_service.get_user_or_404(db, clinician_id)
    if clinician.role != "clinician":
        raise Unprocessable("care can only be assigned to a clinician account")
    repository.add_care_assignment(db, patient.id, clinician.id)
    audit.record(
        db,
        principal,
        "patient.assign",
        "patient",
        patient.id,
        detail={"clinician_id": clinician.id},
    )


def can_see_patient(db: Session, principal: Principal, patient_id: str) -> bool:
    """Whether ``principal`` may see the patient (no audit record: callers audit their own read)."""
    return repository.get_visible_patient(db, principal, patient_id) is not None


def put_in_care(db: Session, patient_id: str, clinician_id: str) -> None:
    """System use (demo data, imports): record that a clinician cares for a patient."""
    repository.add_care_assignment(db, patient_id, clinician_id)


def patient_of_user(db: Session, user_id: str) -> Patient | None:
    """The self-registered patient record of an account, if any."""
    return repository.get_patient_of_user(db, user_id)
