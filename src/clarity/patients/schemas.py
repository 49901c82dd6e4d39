"""Patient request and response shapes (seed 001: id, name, age, email, phone, medical_history)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, model_validator

Sex = Literal["male", "female", "other", "unknown"]

_SEX_WORDS = {
    "m": "male",
    "male": "male",
    "man": "male",
    "f": "female",
    "female": "female",
    "woman": "female",
    "o": "other",
    "other": "other",
    "u": "unknown",
    "unknown": "unknown",
    "": "unknown",
}


def _normalise_sex(value: object) -> object:
    if isinstance(value, str):
        return _SEX_WORDS.get(value.strip().lower(), value)
    return value


SexField = Annotated[Sex, BeforeValidator(_normalise_sex)]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Phone = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^\+?[0-9 ().\-]{3,32}$")]
History = Annotated[str, Field(max_length=20_000)]


class PatientCreate(BaseModel):
    """A new patient. Give ``birth_date`` or ``age`` (age is derived from the birth date if both)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    birth_date: date | None = None
    age: int | None = Field(None, ge=0, le=150)
    sex: SexField = "unknown"
    email: EmailStr | None = None
    phone: Phone | None = None
    medical_history: History | None = None

    @model_validator(mode="after")
    def _birth_date_in_past(self) -> PatientCreate:
        if self.birth_date is not None and self.birth_date > date.today():
            raise ValueError("birth_date is in the future")
        return self


class PatientUpdate(BaseModel):
    """Fields to change; omitted fields stay as they are, ``null`` clears an optional one."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    birth_date: date | None = None
    age: int | None = Field(None, ge=0, le=150)
    sex: SexField | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    medical_history: History | None = None


class PatientRead(BaseModel):
    """A patient as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    birth_date: date | None
    age: int | None
    sex: Sex
    email: str | None
    phone: str | None
    medical_history: str | None
    user_id: str | None
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="after")
    def _age_from_birth_date(self) -> PatientRead:
        if self.birth_date is not None:
            self.age = age_on(self.birth_date, date.today())
        return self


def age_on(birth_date: date, today: date) -> int:
    """Completed years between ``birth_date`` and ``today``."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


class CareAssignmentCreate(BaseModel):
    """Put a clinician in charge of a patient."""

    model_config = ConfigDict(extra="forbid")

    clinician_id: str = Field(min_length=1, max_length=40)
