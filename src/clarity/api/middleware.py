"""One ASGI middleware for every request: request id, body size cap, access log, metrics, 500s."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clarity.api.envelope import error_response
from clarity.api.metrics import HttpMetrics
from clarity.kit.context import RequestContext, reset_request, set_request

log = logging.getLogger("clarity.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


class BodyTooLarge(HTTPException):
    """Raised while a body streams in past the cap; an ``HTTPException`` so that FastAPI's body
    parsing lets it through unchanged to the 413 envelope."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(413, f"request body exceeds the limit of {limit_bytes} bytes")


class RequestMiddleware:
    """Wraps the app: every request gets an id (header ``X-Request-ID``, echoed back), bodies over
    ``max_body_bytes`` are refused with 413 while streaming, and unexpected errors become a 500
    envelope that carries the request id."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id", "")
        if not _VALID_REQUEST_ID.match(request_id):
            request_id = uuid.uuid4().hex
        client = scope.get("client")
        token = set_request(
            RequestContext(request_id, client[0] if client else None, headers.get("user-agent"))
        )
        try:
            if scope["type"] == "http":
                await self._http(scope, receive, send, headers, request_id)
            else:
                await self.app(scope, receive, send)
        finally:
            reset_request(token)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], request_id: str
    ) -> None:
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "sent": False}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._send_too_large(send, request_id, state)
            self._record(scope, state["status"], started)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["sent"] = message["status"], True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, self._capped(receive), send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if not state["sent"]:
                response = error_response(
                    500,
                    "internal server error; quote the request id when reporting it",
                    {"x-request-id": request_id},
                )
                await response(scope, receive, send)
            state["status"] = 500
        finally:
            self._record(scope, state["status"], started)

    def _capped(self, receive: Receive) -> Receive:
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return capped_receive

    async def _send_too_large(self, send: Send, request_id: str, state: dict[str, Any]) -> None:
        too_large = BodyTooLarge(self.max_body_bytes)
        response = error_response(413, too_large.detail, {"x-request-id": request_id})
        state["status"], state["sent"] = 413, True
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        self.metrics.observe(scope["method"], template, status, elapsed)
        if not log.isEnabledFor(logging.INFO):  # the line's arguments cost more than the check
            return
        log.info(
            "%s %s %s %.1fms",
            scope["method"],
            scope["path"],
            status,
            elapsed * 1000,
            extra={
                "http_method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
