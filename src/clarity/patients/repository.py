"""Named queries for patients. Visibility (who may see which patient) is one query filter here."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from clarity.auth.principal import Principal
from clarity.db.models import CareAssignment, Patient


def _visible_to(principal: Principal) -> ColumnElement[bool] | None:
    """SQL condition for the patients ``principal`` may see; ``None`` means all (admin)."""
    if principal.is_admin:
        return None
    if principal.is_clinician:
        in_care = exists().where(
            CareAssignment.patient_id == Patient.id,
            CareAssignment.clinician_id == principal.user_id,
        )
        return or_(in_care, Patient.created_by_id == principal.user_id)
    return Patient.user_id == principal.user_id


def _scoped(stmt: Select[Patient], principal: Principal) -> Select[Patient]:
    condition = _visible_to(principal)
    return stmt if condition is None else stmt.where(condition)


def get_visible_patient(db: Session, principal: Principal, patient_id: str) -> Patient | None:
    """The patient if it exists and ``principal`` may see it; ``None`` either way otherwise."""
    return db.scalars(_scoped(select(Patient).where(Patient.id == patient_id), principal)).first()


def list_visible_patients(
    db: Session, principal: Principal, *, query: str | None, limit: int, offset: int
) -> tuple[list[Patient], int]:
    stmt = _scoped(select(Patient), principal)
    if query:
        stmt = stmt.where(func.lower(Patient.name).contains(query.strip().lower(), autoescape=True))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Patient.name, Patient.id).limit(limit).offset(offset))
    return list(rows), total


def get_patient_of_user(db: Session, user_id: str) -> Patient | None:
    return db.scalars(select(Patient).where(Patient.user_id == user_id)).first()


def add_patient(db: Session, patient: Patient) -> None:
    db.add(patient)
    db.flush()


def add_care_assignment(db: Session, patient_id: str, clinician_id: str) -> None:
    if db.get(CareAssignment, (patient_id, clinician_id)) is None:
        db.add(CareAssignment(patient_id=patient_id, clinician_id=clinician_id))
        db.flush()
