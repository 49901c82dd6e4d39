"""Account use cases: register, sign in, refresh, sign out, authenticate, API keys, admin users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlalchemy.orm import Session

from clarity.auth import audit, repository
from clarity.auth.cache import PrincipalCache
from clarity.auth.identifiers import norm_email, norm_phone, norm_serial, norm_username
from clarity.auth.passwords import hash_password, needs_rehash, verify_password
from clarity.auth.principal import Principal, Role, Verified
from clarity.auth.tokens import (
    digest,
    issue_access_token,
    new_secret,
    read_access_token,
    same_digest,
    split_compound,
)
from clarity.config import Settings
from clarity.db.models import ApiKey, AuthSession, User
from clarity.errors import Conflict, Forbidden, NotFound, Unauthorized
from clarity.kit.context import current_request
from clarity.kit.time import as_utc, utcnow

ROLE_RANK: dict[str, int] = {"patient": 0, "clinician": 1, "admin": 2}
API_KEY_PREFIX = "clk"
LAST_USED_RESOLUTION = timedelta(minutes=1)
CredentialKind = Literal["token", "api_key"]


@dataclass(frozen=True)
class NewUser:
    """What is needed to create an account (already validated by the schema)."""

    full_name: str
    password: str
    role: Role = "patient"
    age: int | None = None
    gender: str | None = None
    phone: str | None = None
    address: str | None = None
    email: str | None = None
    username: str | None = None
    device_serial: str | None = None


@dataclass(frozen=True)
class IssuedTokens:
    """A fresh access token and the refresh token that renews it."""

    user: User
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


def create_user(db: Session, new: NewUser, *, created_by: Principal | None = None) -> User:
    """A new account; ``Conflict`` naming the identifier already in use."""
    identifiers = {
        "username": norm_username(new.username),
        "email": norm_email(new.email),
        "phone": norm_phone(new.phone),
        "device_serial": norm_serial(new.device_serial),
    }
    taken = repository.taken_identifiers(db, **identifiers)
    if taken:
        raise Conflict(f"an account with this {taken[0].replace('_', ' ')} already exists")
    user = User(
        full_name=new.full_name.strip(),
        age=new.age,
        gender=new.gender,
        address=new.address,
        role=new.role,
        password_hash=hash_password(new.password),
        **identifiers,
    )
    repository.add(db, user)
    audit.record(
        db, created_by, "user.create", "user", user.id, detail={"role": new.role}, actor_id=user.id
    )
    return user


def login(db: Session, settings: Settings, identifier: str, password: str) -> IssuedTokens:
    """Check the password of the account ``identifier`` names and open a sign-in session."""
    user = _find_login_user(db, identifier)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        audit.record(
            db,
            None,
            "auth.login_failed",
            "user",
            user.id if user else None,
            actor_id=user.id if user else None,
            detail={"identifier": identifier[:100]},
        )
        raise Unauthorized("incorrect identifier or password", keep_changes=True)
    if not user.is_active:
        raise Unauthorized("this account is disabled")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    tokens = open_session(db, settings, user)
    audit.record(db, None, "auth.login", "user", user.id, actor_id=user.id)
    return tokens


def _find_login_user(db: Session, identifier: str) -> User | None:
    user = repository.find_user_by_login(db, identifier)
    if user is None:
        by_name = repository.find_users_by_full_name(db, identifier)
        user = by_name[0] if len(by_name) == 1 else None
    return user


def open_session(db: Session, settings: Settings, user: User) -> IssuedTokens:
    """A new sign-in session for ``user`` with its first token pair."""
    context = current_request()
    secret = new_secret()
    session = AuthSession(
        user_id=user.id,
        refresh_hash=digest(secret),
        expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        client_ip=context.client_ip,
        user_agent=(context.user_agent or "")[:255] or None,
    )
    repository.add(db, session)
    return _issue(settings, user, session, secret)


def _issue(settings: Settings, user: User, session: AuthSession, secret: str) -> IssuedTokens:
    access, access_expires = issue_access_token(
        settings.secret_key.get_secret_value(),
        user_id=user.id,
        role=user.role,
        session_id=session.id,
        minutes=settings.access_token_minutes,
    )
    return IssuedTokens(user, access, access_expires, f"{session.id}.{secret}", session.expires_at)


def refresh(db: Session, settings: Settings, refresh_token: str) -> IssuedTokens:
    """Rotate the refresh token and issue a new access token. Reusing an old one ends the session."""
    session_id, secret = split_compound(refresh_token)
    session = repository.get_auth_session(db, session_id)
    if session is None or session.revoked_at is not None:
        raise Unauthorized("invalid refresh token")
    if not same_digest(session.refresh_hash, secret):
        session.revoked_at = utcnow()  # a stolen, already-rotated token: end the whole session
        audit.record(
            db, None, "auth.refresh_reuse", "auth_session", session.id, actor_id=session.user_id
        )
        raise Unauthorized("refresh token already used; sign in again", keep_changes=True)
    if as_utc(session.expires_at) <= utcnow() or not session.user.is_active:
        raise Unauthorized("session expired; sign in again")
    new = new_secret()
    session.refresh_hash = digest(new)
    session.last_used_at = utcnow()
    db.flush()
    return _issue(settings, session.user, session, new)


def logout(db: Session, principal: Principal) -> None:
    """End the caller's sign-in session: its access and refresh tokens stop working at once."""
    if principal.via != "token":
        raise Forbidden("API keys are revoked through /api/v1/api-keys, not signed out")
    session = repository.get_auth_session(db, principal.credential_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.flush()


def authenticate(
    db: Session, settings: Settings, cache: PrincipalCache, kind: CredentialKind, credential: str
) -> Principal:
    """The principal of a bearer access token (``kind`` "token") or an API key ("api_key"):
    remembered from the last few seconds (``clarity.auth.cache``) or verified now."""
    if kind == "token":
        return cache.resolve(kind, credential, lambda: verify_token(db, settings, credential))
    return cache.resolve(kind, credential, lambda: verify_api_key(db, credential))


def authenticate_token(db: Session, settings: Settings, token: str) -> Principal:
    """The principal behind a bearer access token (its session must still be open)."""
    return verify_token(db, settings, token).principal


def verify_token(db: Session, settings: Settings, token: str) -> Verified:
    """``authenticate_token`` with the token's expiry (for the principal cache)."""
    claims = read_access_token(settings.secret_key.get_secret_value(), token)
    session = repository.get_auth_session(db, claims.session_id)
    if session is None or session.revoked_at is not None or session.user_id != claims.user_id:
        raise Unauthorized("session ended; sign in again")
    user = session.user
    if not user.is_active:
        raise Unauthorized("this account is disabled")
    principal = Principal(user.id, cast(Role, user.role), "token", session.id)
    return Verified(principal, min(claims.expires_at, as_utc(session.expires_at)))


def authenticate_api_key(db: Session, raw_key: str) -> Principal:
    """The principal behind an ``X-API-Key``; never above the role of the user it belongs to."""
    return verify_api_key(db, raw_key).principal


def verify_api_key(db: Session, raw_key: str) -> Verified:
    """``authenticate_api_key`` with the key's expiry (for the principal cache)."""
    scheme, _, rest = raw_key.partition("_")
    prefix, _, _secret = rest.partition("_")
    key = repository.get_api_key_by_prefix(db, prefix) if scheme == API_KEY_PREFIX else None
    if key is None or not same_digest(key.key_hash, raw_key):
        raise Unauthorized("invalid API key")
    if key.revoked_at is not None:
        raise Unauthorized("API key revoked")
    if key.expires_at is not None and as_utc(key.expires_at) <= utcnow():
        raise Unauthorized("API key expired")
    if not key.user.is_active:
        raise Unauthorized("this account is disabled")
    now = utcnow()
    if key.last_used_at is None or now - as_utc(key.last_used_at) > LAST_USED_RESOLUTION:
        key.last_used_at = (
            now  # at most once a minute: a device uploading every second writes no more
        )
    role = min(key.role, key.user.role, key=ROLE_RANK.__getitem__)
    principal = Principal(key.user_id, cast(Role, role), "api_key", key.id)
    return Verified(principal, as_utc(key.expires_at) if key.expires_at else None)


def create_api_key(
    db: Session,
    owner: User,
    *,
    name: str,
    role: Role | None = None,
    expires_at: datetime | None = None,
    created_by: Principal | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``owner`` (the secret is returned once, only its hash is stored)."""
    role = role or cast(Role, owner.role)
    if ROLE_RANK[role] > ROLE_RANK[owner.role]:
        raise Forbidden(f"a {owner.role} cannot hold an API key with the {role} role")
    prefix = new_secret(6).replace("-", "x").replace("_", "y")[:8]
    raw = f"{API_KEY_PREFIX}_{prefix}_{new_secret(24)}"
    key = ApiKey(
        user_id=owner.id,
        name=name,
        prefix=prefix,
        key_hash=digest(raw),
        role=role,
        expires_at=expires_at,
    )
    repository.add(db, key)
    audit.record(db, created_by, "api_key.create", "api_key", key.id, actor_id=owner.id)
    return key, raw


def revoke_api_key(db: Session, key_id: str, *, by: Principal | None) -> ApiKey:
    """Revoke a key; a non-admin may only revoke their own (others answer 404)."""
    key = repository.get_api_key(db, key_id)
    if key is None or (by is not None and not by.is_admin and key.user_id != by.user_id):
        raise NotFound("API key not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(db, by, "api_key.revoke", "api_key", key.id)
        db.flush()
    return key


def get_user_or_404(db: Session, user_id: str) -> User:
    user = repository.get_user(db, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def find_user_by_login_or_404(db: Session, identifier: str) -> User:
    user = repository.find_user_by_login(db, identifier)
    if user is None:
        raise NotFound(f"no user with identifier {identifier!r}")
    return user
