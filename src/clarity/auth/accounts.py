"""Account administration use cases that answer in API shapes: profiles, users, keys, audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from clarity.auth import repository, service
from clarity.auth.principal import Principal
from clarity.auth.registration import profile
from clarity.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    AuditEventRead,
    AuditQuery,
    UserCreate,
    UserProfile,
)
from clarity.errors import NotFound
from clarity.kit.pagination import Page
from clarity.kit.time import as_utc, utcnow


def logout(db: Session, principal: Principal) -> None:
    service.logout(db, principal)


def my_profile(db: Session, principal: Principal) -> UserProfile:
    return profile(db, service.get_user_or_404(db, principal.user_id))


def create_user(db: Session, admin: Principal, data: UserCreate) -> UserProfile:
    user = service.create_user(db, service.NewUser(**data.model_dump()), created_by=admin)
    return profile(db, user)


def list_users(db: Session, admin: Principal, *, limit: int, offset: int) -> Page[UserProfile]:
    users, total = repository.list_users(db, limit=limit, offset=offset)
    items = [UserProfile.model_validate(u) for u in users]
    return Page(items=items, total=total, limit=limit, offset=offset)


def create_api_key(db: Session, principal: Principal, data: ApiKeyCreate) -> ApiKeyCreated:
    """A key for the caller, or (admins only) for ``data.user_id``."""
    owner_id = data.user_id or principal.user_id
    if owner_id != principal.user_id and not principal.is_admin:
        raise NotFound("user not found")
    owner = service.get_user_or_404(db, owner_id)
    expires_at = utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
    key, raw = service.create_api_key(
        db, owner, name=data.name, role=data.role, expires_at=expires_at, created_by=principal
    )
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=raw)


def list_api_keys(db: Session, principal: Principal) -> list[ApiKeyRead]:
    keys = repository.list_api_keys(db, user_id=None if principal.is_admin else principal.user_id)
    return [ApiKeyRead.model_validate(k) for k in keys]


def revoke_api_key(db: Session, principal: Principal, key_id: str) -> None:
    service.revoke_api_key(db, key_id, by=principal)


def list_audit_events(db: Session, admin: Principal, query: AuditQuery) -> Page[AuditEventRead]:
    filters = query.model_dump(exclude={"since", "until", "limit", "offset"})
    events, total = repository.list_audit_events(
        db,
        limit=query.limit,
        offset=query.offset,
        since=as_utc(query.since) if query.since else None,
        until=as_utc(query.until) if query.until else None,
        **filters,
    )
    items = [AuditEventRead.model_validate(e) for e in events]
    return Page(items=items, total=total, limit=query.limit, offset=query.offset)
