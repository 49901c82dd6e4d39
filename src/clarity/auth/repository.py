"""Named queries for users, sign-in sessions, API keys and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, joinedload

from clarity.auth.identifiers import norm_email, norm_phone, norm_serial, norm_username
from clarity.db.models import ApiKey, AuditEvent, AuthSession, User


def get_user(db: Session, user_id: str) -> User | None:
    return db.get(User, user_id)


def find_user_by_login(db: Session, identifier: str) -> User | None:
    """The user whose username, email, phone or device serial is ``identifier``."""
    candidates: list[ColumnElement[bool]] = []
    for column, value in (
        (User.username, norm_username(identifier)),
        (User.email, norm_email(identifier)),
        (User.phone, norm_phone(identifier)),
        (User.device_serial, norm_serial(identifier)),
    ):
        if value:
            candidates.append(column == value)
    if not candidates:
        return None
    return db.scalars(select(User).where(or_(*candidates)).limit(1)).first()


def find_users_by_full_name(db: Session, full_name: str, *, limit: int = 2) -> list[User]:
    """Users whose full name is ``full_name`` (case-insensitive); the seed's clients log in with it."""
    wanted = full_name.strip().lower()
    stmt = select(User).where(func.lower(User.full_name) == wanted).limit(limit)
    return list(db.scalars(stmt))


def taken_identifiers(db: Session, **values: str | None) -> list[str]:
    """Which of the given unique identifiers (username=, email=, phone=, device_serial=) exist."""
    taken = []
    for field, value in values.items():
        if value and db.scalar(select(User.id).where(getattr(User, field) == value).limit(1)):
            taken.append(field)
    return taken


def count_users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


def list_users(db: Session, *, limit: int, offset: int) -> tuple[list[User], int]:
    total = db.scalar(select(func.count()).select_from(User)) or 0
    users = db.scalars(select(User).order_by(User.created_at, User.id).limit(limit).offset(offset))
    return list(users), total


def add(db: Session, row: User | AuthSession | ApiKey | AuditEvent) -> None:
    db.add(row)
    db.flush()


def get_auth_session(db: Session, session_id: str) -> AuthSession | None:
    """The sign-in session with its user, in one query (this runs on every request)."""
    return db.get(AuthSession, session_id, options=[joinedload(AuthSession.user)])


def get_api_key_by_prefix(db: Session, prefix: str) -> ApiKey | None:
    """The key with its user, in one query (this runs on every request made with a key)."""
    stmt = select(ApiKey).where(ApiKey.prefix == prefix).options(joinedload(ApiKey.user))
    return db.scalars(stmt).first()


def get_api_key(db: Session, key_id: str) -> ApiKey | None:
    return db.get(ApiKey, key_id)


def list_api_keys(db: Session, *, user_id: str | None) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if user_id is not None:
        stmt = stmt.where(ApiKey.user_id == user_id)
    return list(db.scalars(stmt))


def list_audit_events(
    db: Session,
    *,
    limit: int,
    offset: int,
    actor_id: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEvent], int]:
    conditions: list[ColumnElement[bool]] = []
    if actor_id:
        conditions.append(AuditEvent.actor_id == actor_id)
    if resource_type:
        conditions.append(AuditEvent.resource_type == resource_type)
    if resource_id:
        conditions.append(AuditEvent.resource_id == resource_id)
    if action:
        conditions.append(AuditEvent.action == action)
    if since:
        conditions.append(AuditEvent.at >= since)
    if until:
        conditions.append(AuditEvent.at < until)
    total = db.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    stmt = select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc())
    return list(db.scalars(stmt.limit(limit).offset(offset))), total
