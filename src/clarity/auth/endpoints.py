"""Accounts over HTTP: register, login, OAuth2 token, refresh, logout, users, API keys, audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.security import OAuth2PasswordRequestForm

from clarity.api.deps import AdminPrincipal, CurrentPrincipal, DbSession, RuntimeDep, SettingsDep
from clarity.auth import accounts, registration
from clarity.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    AuditEventRead,
    AuditQuery,
    LoginRequest,
    LoginResponse,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    TokenPair,
    UserCreate,
    UserProfile,
)
from clarity.kit.pagination import MAX_LIMIT, MAX_OFFSET, Page

router = APIRouter(prefix="/api/v1")
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


@router.post("/auth/register", response_model=RegisterResponse, status_code=201, tags=["auth"])
def register(body: RegisterRequest, db: DbSession, runtime: RuntimeDep) -> RegisterResponse:
    """Register a device user (a patient) and sign them in."""
    return registration.register(db, runtime.settings, runtime.rate_limiter, body)


@router.post("/auth/login", response_model=LoginResponse, tags=["auth"])
def login(body: LoginRequest, db: DbSession, runtime: RuntimeDep) -> LoginResponse:
    """Sign in with e-mail, phone, device serial or username, and a password."""
    return registration.login(db, runtime.settings, runtime.rate_limiter, body)


@router.post("/auth/token", response_model=TokenPair, tags=["auth"])
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbSession, runtime: RuntimeDep
) -> TokenPair:
    """OAuth2 password flow (what Swagger's Authorize button uses)."""
    body = LoginRequest(identifier=form.username, password=form.password)
    response = registration.login(db, runtime.settings, runtime.rate_limiter, body)
    return TokenPair(**response.model_dump(exclude={"user_profile"}))


@router.post("/auth/refresh", response_model=TokenPair, tags=["auth"])
def refresh(body: RefreshRequest, db: DbSession, settings: SettingsDep) -> TokenPair:
    """Exchange a refresh token for new tokens (the old refresh token stops working)."""
    return registration.refresh(db, settings, body.refresh_token)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(principal: CurrentPrincipal, db: DbSession) -> Response:
    """End this sign-in session: its access and refresh tokens stop working at once."""
    accounts.logout(db, principal)
    return Response(status_code=204)


@router.get("/users/me", response_model=UserProfile, tags=["users"])
def me(principal: CurrentPrincipal, db: DbSession) -> UserProfile:
    """The signed-in user's profile."""
    return accounts.my_profile(db, principal)


@router.post("/users", response_model=UserProfile, status_code=201, tags=["users"])
def create_user(body: UserCreate, principal: AdminPrincipal, db: DbSession) -> UserProfile:
    """Create an account of any role (admin only)."""
    return accounts.create_user(db, principal, body)


@router.get("/users", response_model=Page[UserProfile], tags=["users"])
def list_users(
    principal: AdminPrincipal, db: DbSession, limit: Limit = 50, offset: Offset = 0
) -> Page[UserProfile]:
    """All accounts (admin only)."""
    return accounts.list_users(db, principal, limit=limit, offset=offset)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, tags=["api keys"])
def create_api_key(body: ApiKeyCreate, principal: CurrentPrincipal, db: DbSession) -> ApiKeyCreated:
    """Create an API key for a device or integration; the secret is shown only in this answer."""
    return accounts.create_api_key(db, principal, body)


@router.get("/api-keys", response_model=list[ApiKeyRead], tags=["api keys"])
def list_api_keys(principal: CurrentPrincipal, db: DbSession) -> list[ApiKeyRead]:
    """Your API keys (an admin sees everyone's)."""
    return accounts.list_api_keys(db, principal)


@router.delete("/api-keys/{key_id}", status_code=204, tags=["api keys"])
def revoke_api_key(key_id: str, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Revoke an API key at once."""
    accounts.revoke_api_key(db, principal, key_id)
    return Response(status_code=204)


@router.get("/audit", response_model=Page[AuditEventRead], tags=["audit"])
def list_audit_events(
    principal: AdminPrincipal, db: DbSession, query: Annotated[AuditQuery, Query()]
) -> Page[AuditEventRead]:
    """The audit trail, newest first, filtered by actor, resource, action and time (admin only)."""
    return accounts.list_audit_events(db, principal, query)
