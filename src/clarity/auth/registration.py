"""Self-registration and sign-in of device users: an account, its patient record, its tokens."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clarity.auth import service
from clarity.auth.ratelimit import RateLimiter
from clarity.auth.schemas import (
    LoginRequest,
    LoginResponse,
    RegisterRequest,
    RegisterResponse,
    TokenPair,
    UserProfile,
)
from clarity.auth.throttle import throttle
from clarity.config import Settings
from clarity.db.models import User
from clarity.kit.context import current_request
from clarity.kit.time import utcnow
from clarity.patients import service as patients


def register(
    db: Session, settings: Settings, limiter: RateLimiter, data: RegisterRequest
) -> RegisterResponse:
    """Create a patient account with its own patient record, and sign it in."""
    limit, window_s = settings.login_limit
    throttle(
        limiter,
        "registration",
        client=current_request().client_ip,
        identifier=data.device_serial or data.phone or data.email,
        limit=limit,
        window_s=window_s,
    )
    user = service.create_user(db, service.NewUser(**data.model_dump(), role="patient"))
    patient = patients.create_self_patient(db, user)
    tokens = service.open_session(db, settings, user)
    return RegisterResponse(**_token_pair(tokens).model_dump(), patient_id=patient.id)


def login(
    db: Session, settings: Settings, limiter: RateLimiter, data: LoginRequest
) -> LoginResponse:
    """Sign in with any login identifier; 429 after too many attempts."""
    limit, window_s = settings.login_limit
    throttle(
        limiter,
        "login",
        client=current_request().client_ip,
        identifier=data.identifier,
        limit=limit,
        window_s=window_s,
    )
    tokens = service.login(db, settings, data.identifier, data.password)
    return LoginResponse(**_token_pair(tokens).model_dump(), user_profile=profile(db, tokens.user))


def refresh(db: Session, settings: Settings, refresh_token: str) -> TokenPair:
    """New tokens for a valid refresh token."""
    return _token_pair(service.refresh(db, settings, refresh_token))


def profile(db: Session, user: User) -> UserProfile:
    """The profile of ``user``, with the id of their own patient record when they have one."""
    own = patients.patient_of_user(db, user.id)
    return UserProfile.model_validate(user).model_copy(
        update={"patient_id": own.id if own else None}
    )


def _token_pair(tokens: service.IssuedTokens) -> TokenPair:
    expires_in = max(0, int((tokens.access_expires_at - utcnow()).total_seconds()))
    return TokenPair(
        user_id=tokens.user.id,
        token=tokens.access_token,
        access_token=tokens.access_token,
        expires_in=expires_in,
        refresh_token=tokens.refresh_token,
        refresh_expires_at=tokens.refresh_expires_at,
    )
