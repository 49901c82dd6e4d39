"""Who is calling: the authenticated user, their role, and how they proved it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Role = Literal["patient", "clinician", "admin"]


@dataclass(frozen=True)
class Principal:
    """The caller of a request. ``role`` is the token's role, or the API key's (never above the user's)."""

    user_id: str
    role: Role
    via: Literal["token", "api_key"]
    credential_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_clinician(self) -> bool:
        return self.role == "clinician"


@dataclass(frozen=True)
class Verified:
    """A principal just verified against the database, and when its credential expires."""

    principal: Principal
    expires_at: datetime | None
