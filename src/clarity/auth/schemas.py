"""Account request and response shapes (seed 002's ``/auth/register`` and ``/auth/login``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from clarity.auth.principal import Role
from clarity.kit.pagination import MAX_LIMIT, MAX_OFFSET

Password = Annotated[str, Field(min_length=8, max_length=128)]
Phone = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^\+?[0-9 ().\-]{3,32}$")]
Serial = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]
Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")]
FullName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]


class RegisterRequest(BaseModel):
    """Self-registration of a device user (seed 002); they become a patient with their own record."""

    model_config = ConfigDict(extra="ignore")

    full_name: FullName
    password: Password
    age: int | None = Field(None, ge=0, le=150)
    gender: str | None = Field(None, max_length=32)
    phone: Phone | None = None
    address: str | None = Field(None, max_length=500)
    device_serial: Serial | None = None
    email: EmailStr | None = None
    username: Username | None = None


class LoginRequest(BaseModel):
    """Sign in with an e-mail, phone, device serial, username (or a full name that is unique)."""

    identifier: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class UserProfile(BaseModel):
    """An account as its owner (or an admin) sees it; never the password hash."""

    model_config = ConfigDict(from_attributes=True)

    user_id: str = Field(validation_alias="id")
    full_name: str
    role: Role
    username: str | None
    email: str | None
    phone: str | None
    device_serial: str | None
    age: int | None
    gender: str | None
    address: str | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    patient_id: str | None = None


class TokenPair(BaseModel):
    """Tokens: ``token`` and ``access_token`` are the same bearer token (seed and OAuth2 names)."""

    user_id: str
    token: str
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_token: str
    refresh_expires_at: datetime


class RegisterResponse(TokenPair):
    patient_id: str


class LoginResponse(TokenPair):
    user_profile: UserProfile


class UserCreate(BaseModel):
    """An administrator creates an account of any role (clinicians, other admins)."""

    model_config = ConfigDict(extra="forbid")

    full_name: FullName
    password: Password
    role: Role
    email: EmailStr | None = None
    username: Username | None = None
    phone: Phone | None = None
    device_serial: Serial | None = None


class ApiKeyCreate(BaseModel):
    """A new API key; an admin may make one for another user with ``user_id``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    role: Role | None = Field(None, description="at most the owner's role; default the owner's")
    expires_in_days: int | None = Field(None, ge=1, le=3650)
    user_id: str | None = None


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    name: str
    prefix: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="the secret key: shown once, store it now")


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: str | None
    actor_role: str | None
    action: str
    resource_type: str
    resource_id: str | None
    client_ip: str | None
    user_agent: str | None
    request_id: str | None
    detail: dict[str, object] | None


class AuditQuery(BaseModel):
    """Filters of the audit trail listing."""

    model_config = ConfigDict(extra="forbid")

    actor_id: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
