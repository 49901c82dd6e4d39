"""Writing the audit trail: every read and change of patient data, and every sign-in."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from clarity.auth import repository
from clarity.auth.principal import Principal
from clarity.db.models import AuditEvent
from clarity.kit.context import current_request


def record(
    db: Session,
    principal: Principal | None,
    action: str,
    resource_type: str,
    resource_id: str | None = None,
    *,
    detail: dict[str, Any] | None = None,
    actor_id: str | None = None,
) -> None:
    """Append one audit event in the caller's unit of work (it commits or rolls back with it)."""
    context = current_request()
    repository.add(
        db,
        AuditEvent(
            actor_id=principal.user_id if principal else actor_id,
            actor_role=principal.role if principal else None,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            client_ip=context.client_ip,
            user_agent=(context.user_agent or "")[:255] or None,
            request_id=context.request_id,
            detail=detail,
        ),
    )
