"""Per-request context (request id, client address) readable anywhere without passing it around.

The HTTP middleware sets it; logging and the audit trail read it. Jobs set their own request id.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None


_EMPTY = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("clarity_request", default=_EMPTY)


def current_request() -> RequestContext:
    """The context of the request (or job) being handled; empty outside one."""
    return _current.get()


def set_request(context: RequestContext) -> object:
    """Enter ``context``; returns a token for ``reset_request``."""
    return _current.set(context)


def reset_request(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]  # the token came from set_request
