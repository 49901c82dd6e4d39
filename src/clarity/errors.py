"""The one error tree. Each class carries its HTTP status; the API turns any of them into the
envelope ``{detail, status_code, timestamp, request_id}``.

This module imports nothing from the web stack, so pure cores may raise these errors too.
"""

from __future__ import annotations


class ClarityError(Exception):
    """Base of every error the service answers with a 4xx/5xx on purpose."""

    status_code: int = 500
    default_detail: str = "internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
    ) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        # True when what was written before the error must still be committed (a revoked session,
        # an audit record of a failed sign-in); everything else rolls back with the error.
        self.keep_changes = keep_changes
        super().__init__(self.detail)


class BadRequest(ClarityError):
    status_code = 400
    default_detail = "bad request"


class Unauthorized(ClarityError):
    status_code = 401
    default_detail = "not authenticated"

    def __init__(self, detail: str | None = None, *, keep_changes: bool = False) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, keep_changes=keep_changes)


class Forbidden(ClarityError):
    status_code = 403
    default_detail = "not allowed"


class NotFound(ClarityError):
    status_code = 404
    default_detail = "not found"


class Conflict(ClarityError):
    status_code = 409
    default_detail = "conflict"


class PayloadTooLarge(ClarityError):
    status_code = 413
    default_detail = "request body too large"


class UnsupportedMediaType(ClarityError):
    status_code = 415
    default_detail = "unsupported media type"


class Unprocessable(ClarityError):
    status_code = 422
    default_detail = "unprocessable input"


class TooManyRequests(ClarityError):
    status_code = 429
    default_detail = "too many requests"

    def __init__(self, retry_after_s: int, detail: str | None = None) -> None:
        super().__init__(
            detail or f"too many attempts; retry in {retry_after_s} s",
            headers={"Retry-After": str(retry_after_s)},
        )
        self.retry_after_s = retry_after_s


class ServiceUnavailable(ClarityError):
    status_code = 503
    default_detail = "service unavailable"


class ModelUnavailable(ServiceUnavailable):
    default_detail = "model unavailable"
