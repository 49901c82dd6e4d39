"""Identifiers: short, URL-safe, prefixed by what they name (``usr_…``, ``pat_…``)."""

from __future__ import annotations

import base64
import secrets


def new_id(prefix: str) -> str:
    """A random id such as ``pat_3k9x…`` (16 random bytes, base32 lower case, 26 chars)."""
    token = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()
    return f"{prefix}_{token}"
