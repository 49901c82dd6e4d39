"""Patients and who cares for them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clarity.db.base import Base, Timestamps
from clarity.kit.ids import new_id
from clarity.kit.time import utcnow

SEXES = ("male", "female", "other", "unknown")


class Patient(Timestamps, Base):
    """A person whose ECGs and images Clarity keeps. ``user_id`` links a self-registered patient."""

    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint("sex IN ('male', 'female', 'other', 'unknown')", name="sex"),
        CheckConstraint("age IS NULL OR (age >= 0 AND age <= 150)", name="age"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pat"))
    name: Mapped[str] = mapped_column(String(200), index=True)
    birth_date: Mapped[date | None]
    age: Mapped[int | None]
    sex: Mapped[str] = mapped_column(String(16), default="unknown")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    medical_history: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    created_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class CareAssignment(Base):
    """A clinician caring for a patient; clinicians see only the patients assigned to them."""

    __tablename__ = "care_assignments"

    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    clinician_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
