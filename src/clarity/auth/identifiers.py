"""Normalised login identifiers: how usernames, emails, phones and device serials are stored and matched."""

from __future__ import annotations

import re

_PHONE_NOISE = re.compile(r"[\s().\-]")


def norm_email(value: str | None) -> str | None:
    return value.strip().lower() or None if value else None


def norm_username(value: str | None) -> str | None:
    return value.strip().lower() or None if value else None


def norm_phone(value: str | None) -> str | None:
    """``+1 (234) 567-890`` → ``+1234567890``."""
    return _PHONE_NOISE.sub("", value) or None if value else None


def norm_serial(value: str | None) -> str | None:
    """Device serials match regardless of case and surrounding spaces."""
    return value.strip().upper() or None if value else None
