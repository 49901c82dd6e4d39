"""Access tokens (short-lived JWT, HS256) and opaque refresh tokens / API keys (hashed at rest)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from clarity.errors import Unauthorized
from clarity.kit.time import utcnow

_ALGORITHM = "HS256"
_ISSUER = "clarity"


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says."""

    user_id: str
    role: str
    session_id: str
    expires_at: datetime


def issue_access_token(
    secret: str, *, user_id: str, role: str, session_id: str, minutes: int
) -> tuple[str, datetime]:
    """A signed access token and its expiry time."""
    now = utcnow()
    expires_at = now + timedelta(minutes=minutes)
    claims = {
        "sub": user_id,
        "role": role,
        "sid": session_id,
        "typ": "access",
        "iss": _ISSUER,
        "iat": now,
        "exp": expires_at,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM), expires_at


def read_access_token(secret: str, token: str) -> AccessClaims:
    """Claims of ``token``; ``Unauthorized`` when it is malformed, forged or expired."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["sub", "sid", "exp", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("access token expired; refresh it or sign in again") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid access token") from None
    if claims.get("typ") != "access":
        raise Unauthorized("invalid access token")
    return AccessClaims(
        user_id=str(claims["sub"]),
        role=str(claims.get("role", "")),
        session_id=str(claims["sid"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
    )


def new_secret(n_bytes: int = 32) -> str:
    """A random URL-safe secret."""
    return secrets.token_urlsafe(n_bytes)


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (refresh tokens, API keys): enough, as they are random."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(expected_hex: str, secret: str) -> bool:
    """Constant-time check that ``secret`` hashes to ``expected_hex``."""
    return hmac.compare_digest(expected_hex, digest(secret))


def split_compound(token: str, sep: str = ".") -> tuple[str, str]:
    """``"<id>.<secret>"`` → (id, secret); ``Unauthorized`` when malformed."""
    ident, found, secret = token.partition(sep)
    if not found or not ident or not secret:
        raise Unauthorized("malformed token")
    return ident, secret
