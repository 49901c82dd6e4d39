"""Dependencies every endpoint uses: the runtime, a unit of work, the caller and their role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from clarity.auth import service as auth_service
from clarity.auth.principal import Principal, Role
from clarity.auth.service import CredentialKind
from clarity.config import Settings
from clarity.db.engine import unit_of_work
from clarity.errors import Forbidden, Unauthorized
from clarity.runtime import Runtime

P = ParamSpec("P")
T = TypeVar("T")
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A device or integration key"
)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    """One unit of work per request: committed when the handler returns, rolled back on error."""
    with unit_of_work(runtime.session_factory) as session:
        yield session


DbSession = Annotated[Session, Depends(get_db, scope="function")]


async def get_principal(
    request: Request,
    token: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller, from ``Authorization: Bearer`` or ``X-API-Key``; 401 without either.

    A credential verified in the last few seconds is answered from memory, on the event loop
    (``clarity.auth.cache``); otherwise it is checked in a worker thread, in a unit of work of
    its own (an API key's ``last_used_at`` is committed even if the request then fails).
    """
    runtime = get_runtime(request)
    kind: CredentialKind = "token" if token else "api_key"
    credential = token or api_key
    if not credential:
        raise Unauthorized("sign in (Authorization: Bearer <token>) or send an X-API-Key header")
    cached = runtime.principals.get(runtime.principals.key(kind, credential))
    if cached is not None:
        return cached
    return await run_in_threadpool(authenticate, runtime, kind, credential)


def authenticate(runtime: Runtime, kind: CredentialKind, credential: str) -> Principal:
    with unit_of_work(runtime.session_factory) as db:
        return auth_service.authenticate(db, runtime.settings, runtime.principals, kind, credential)


async def in_unit_of_work(
    runtime: Runtime,
    use_case: Callable[Concatenate[Session, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``use_case(db, *args)`` in one worker thread, in a unit of work committed before it returns.

    For async endpoints: one thread hop for the whole use case instead of one per dependency.
    """

    def run() -> T:
        with unit_of_work(runtime.session_factory) as db:
            return use_case(db, *args, **kwargs)

    return await run_in_threadpool(run)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only callers whose role is in ``roles`` (403 otherwise)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"this needs the {' or '.join(roles)} role")
        return principal

    return check


AdminPrincipal = Annotated[Principal, Depends(require_role("admin"))]
StaffPrincipal = Annotated[Principal, Depends(require_role("clinician", "admin"))]
