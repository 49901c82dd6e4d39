"""The one error envelope: ``{detail, status_code, timestamp, request_id}``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from clarity.kit.context import current_request
from clarity.kit.time import isoformat_z, utcnow


def error_response(
    status_code: int, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error response in the envelope every client can rely on."""
    body = {
        "detail": detail,
        "status_code": status_code,
        "timestamp": isoformat_z(utcnow()),
        "request_id": current_request().request_id,
    }
    return JSONResponse(body, status_code=status_code, headers=headers)
