"""Time helpers: every timestamp in Clarity is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC; naive values are taken to be UTC already (how SQLite returns them)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat_z(value: datetime) -> str:
    """ISO 8601 with a ``Z`` suffix, the form device clients send and expect."""
    return as_utc(value).isoformat().replace("+00:00", "Z")
