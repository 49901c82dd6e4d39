"""Exception handlers: expected errors leave in the one envelope (unexpected ones: see middleware)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from clarity.api.envelope import error_response
from clarity.errors import ClarityError


def _location(error: dict[str, Any]) -> str:
    parts = [str(p) for p in error.get("loc", ()) if p not in ("body",)]
    return ".".join(parts) or "body"


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """``"age: Input should be ... ; phone: ..."``: one readable line per problem (at most 10)."""
    lines = [f"{_location(e)}: {e.get('msg', 'invalid')}" for e in errors[:10]]
    more = f"; and {len(errors) - 10} more" if len(errors) > 10 else ""
    return "; ".join(lines) + more


async def _clarity_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClarityError)
    return error_response(exc.status_code, exc.detail, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        ctx = next(e.get("ctx", {}) for e in errors if e.get("type") == "json_invalid")
        return error_response(400, f"malformed JSON body: {ctx.get('error', 'cannot parse')}")
    return error_response(422, describe_validation_errors(errors))


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, exc.detail, dict(exc.headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ClarityError, _clarity_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
