"""Live stream of a recording: ``WebSocket /api/v1/sessions/{session_id}/stream?mode=push|watch``.

``session_id`` is the client's session id or the server's ``rec_…`` id, as in the HTTP paths.

Modes
-----
``push`` (default)
    The session's owner (its device) sends data and gets exactly one reply per message, in order.
``watch``
    Whoever may read the session (its owner from another device, a clinician caring for the
    patient, an admin) receives live messages. Watchers can never write.

Authentication
--------------
The server accepts the connection first, so that a refusal can carry a reason, then wants

* a header: ``Authorization: Bearer <access token>`` or ``X-API-Key: <key>`` (devices); or
* the first message, within 10 s (browsers cannot set headers on a WebSocket):
  ``{"type": "auth", "token": "<access token>"}`` or ``{"type": "auth", "api_key": "<key>"}``.

Credentials in the URL (``?token=``, ``?api_key=``) are refused: URLs end up in server and proxy
logs. Credentials and access are checked again with every stored message and every 60 s, so a
revoked key, a sign-out, an expired access token (refresh it and reconnect) or a clinician leaving
the care team ends the stream.

Client → server (push mode)
---------------------------
* binary frame: a waveform chunk in the ``clarity.monitoring.frames`` format (what
  ``POST …/waveform`` takes as ``application/vnd.clarity.waveform``);
* text frame, a JSON object whose ``type`` chooses what it is:

  - none, ``"waveform"`` or ``"ecg_waveform"``: the body of ``POST …/waveform``;
  - ``"metrics"`` or ``"metrics_update"``: the body of ``POST …/metrics``;
  - ``"arrhythmia_detected"`` or ``"error_report"``: the body of ``POST …/events``;
  - ``"ping"``: answered with ``pong`` (in watch mode too).

  An optional ``client_id`` is the upload's idempotency key: a retry is answered with the first
  answer and ``"duplicate": true``, and stores nothing.

Each item is stored through the same use case as over HTTP (exact storage, validation,
idempotency), in its own unit of work.

Server → client (JSON text frames)
----------------------------------
``{"type": "ready", "mode", "session_id", "recording_id", "status", "user_id", "role"}``
    Once authenticated and subscribed: nothing published after it is missed.
``{"type": "ack", "seq", "client_id", "kind": "waveform", "waveform_id", "n_samples",
"start_sample", "duplicate"}``
    A stored item (kind ``"metrics"`` carries ``metrics_id``, kind ``"event"`` ``event_id``).
``{"type": "error", "seq", "client_id", "status_code", "detail"}``
    An unusable message, with the HTTP status and text the same upload gets over HTTP (400
    malformed, 403 read-only stream, 409 ended session or overlap, 413 too large, 422 invalid).
    Nothing of it was stored, and the connection stays open.
``{"type": "pong", "seq", "client_id"}``
    ``seq`` numbers the client's messages on this connection from 1: binary frames have no
    ``client_id``, so their replies are matched by ``seq``.

Live messages go to watchers; a device receives only ``finding``, ``alert`` and
``session_ended``. Each carries ``session_id`` and ``recording_id``:

``{"type": "chunk", "waveform_id", "timestamp", "first_sample", "sampling_rate", "n_samples",
"preview": {"sampling_rate", "decimation", "leads": {"I": [mV, …], …}}}``
    A stored chunk (from this stream or ``POST …/waveform``). ``preview`` is drawable as is: at
    most 250 Hz, each sample the one of its block farthest from the baseline, so peaks keep their
    height. Preview sample ``j`` sits at ``first_sample + j * decimation``. The exact samples are
    read back with ``GET …/waveform``.
``{"type": "metrics", "metrics_id", "timestamp", "metrics", "status"}``
``{"type": "event", "event_id", "event_type", "timestamp", "detail"}``
    Metrics and device events, pushed over a stream or posted over HTTP.
``{"type": "session_ended", "ended_at"}``
``{"type": "finding" | "alert", …}``
    Results of server-side analysis.

A slow watcher loses its oldest live messages rather than holding others back.

Close codes
-----------
1008 (policy violation), with a reason
    Missing, invalid or expired credentials; credentials in the URL; no auth message in time;
    an unknown mode; a session that does not exist or that the caller may not read; pushing to
    another user's session; credentials or access that ended during the stream.
1011
    A server error while opening the stream.
1009
    A frame beyond the server's WebSocket frame size limit (closed by the server itself).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any, cast

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from starlette.concurrency import run_in_threadpool
from starlette.types import Message as AsgiMessage

from clarity.errors import BadRequest, ClarityError, Forbidden, PayloadTooLarge, Unauthorized
from clarity.monitoring import notices, streaming
from clarity.monitoring.live import Message
from clarity.monitoring.streaming import Credential, Inbound, OpenedStream, StreamMode
from clarity.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["device sessions"])
log = logging.getLogger(__name__)

AUTH_TIMEOUT_S = 10.0
RECHECK_S = 60.0
DEVICE_TYPES = frozenset({"finding", "alert", "session_ended"})
"""Live message types a pushing device also receives."""
_MAX_REASON_BYTES = 123  # the WebSocket protocol's limit for a close reason


class _Refused(Exception):
    """End the connection with ``code`` and ``reason``."""

    def __init__(self, reason: str, code: int = status.WS_1008_POLICY_VIOLATION) -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


@router.websocket("/sessions/{session_id}/stream")
async def stream_session(websocket: WebSocket, session_id: str) -> None:
    """Live stream of a session: its device pushes data, readers watch (see the module docs)."""
    await _Connection(websocket, session_id).run()


class _Connection:
    def __init__(self, websocket: WebSocket, ref: str) -> None:
        self.ws = websocket
        self.ref = ref
        self.runtime = cast(Runtime, websocket.app.state.runtime)
        self.mode = websocket.query_params.get("mode", "push")
        self.seq = 0
        self.send_lock = asyncio.Lock()

    async def run(self) -> None:
        await self.ws.accept()
        try:
            credential, opened = await self._open()
            async with self.runtime.live.subscribe(opened.recording_id) as queue:
                await self._send({"type": "ready", "mode": self.mode, **vars(opened)})
                await self._serve(credential, opened, queue)
        except _Refused as refusal:
            await self._close(refusal.code, refusal.reason)
        except WebSocketDisconnect:
            return
        except Exception:
            log.exception("live stream of %s failed", self.ref)
            await self._close(status.WS_1011_INTERNAL_ERROR, "internal error")

    async def _open(self) -> tuple[Credential, OpenedStream]:
        if self.mode not in ("push", "watch"):
            raise _Refused("mode must be push or watch")
        if {"token", "api_key", "access_token"} & set(self.ws.query_params):
            raise _Refused("send credentials in a header or an auth message, never in the URL")
        credential = _header_credential(self.ws) or await self._auth_message()
        return credential, await self._check(credential, first=True)

    async def _auth_message(self) -> Credential:
        with anyio.move_on_after(AUTH_TIMEOUT_S):
            message = await self.ws.receive()
            return _credential_in(message)
        raise _Refused(f"authenticate within {AUTH_TIMEOUT_S:g} s")

    async def _check(self, credential: Credential, *, first: bool = False) -> OpenedStream:
        try:
            return await run_in_threadpool(
                streaming.open_stream,
                self.runtime,
                credential,
                self.ref,
                cast(StreamMode, self.mode),
                first=first,
            )
        except ClarityError as exc:
            raise _Refused(exc.detail if first else f"access ended: {exc.detail}") from None

    async def _serve(
        self, credential: Credential, opened: OpenedStream, queue: asyncio.Queue[Message]
    ) -> None:
        """Read the client and forward live messages until either ends; re-raise what ended it."""
        ended: list[Exception] = []
        async with anyio.create_task_group() as group:

            async def until_done(work: Coroutine[Any, Any, None]) -> None:
                try:
                    await work
                except Exception as exc:  # a refusal or a lost connection, re-raised below
                    ended.append(exc)
                group.cancel_scope.cancel()

            group.start_soon(until_done, self._read(credential, opened))
            group.start_soon(until_done, self._forward(credential, queue))
        if ended:
            raise ended[0]

    async def _read(self, credential: Credential, opened: OpenedStream) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.seq += 1
            await self._send(await self._answer(message, credential, opened))

    async def _answer(
        self, message: AsgiMessage, credential: Credential, opened: OpenedStream
    ) -> Message:
        data: str | bytes | None = message.get("bytes") or message.get("text")
        if data is None:
            return self._error(None, BadRequest("empty message"))
        limit = self.runtime.settings.max_body_bytes
        inbound = streaming.parse(data) if len(data) <= limit else _too_large(data, limit)
        if inbound.problem is not None:
            return self._error(inbound.client_id, inbound.problem)
        if inbound.kind == "ping":
            return self._reply("pong", inbound.client_id)
        if inbound.kind == "auth":
            return self._error(inbound.client_id, BadRequest("already authenticated"))
        if self.mode == "watch":
            return self._error(inbound.client_id, Forbidden("a watch stream is read-only"))
        return await self._store(inbound, credential, opened)

    async def _store(
        self, inbound: Inbound, credential: Credential, opened: OpenedStream
    ) -> Message:
        assert inbound.body is not None
        try:
            fields = await run_in_threadpool(
                streaming.store, self.runtime, credential, opened.recording_id, inbound.body
            )
        except Unauthorized as exc:
            await self._send(self._error(inbound.client_id, exc))
            raise _Refused(f"access ended: {exc.detail}") from None
        except ClarityError as exc:
            return self._error(inbound.client_id, exc)
        except Exception:
            log.exception("storing a streamed message for %s failed", opened.recording_id)
            return self._error(inbound.client_id, ClarityError())
        return self._reply("ack", inbound.client_id, **fields)

    async def _forward(self, credential: Credential, queue: asyncio.Queue[Message]) -> None:
        recheck_at = time.monotonic() + RECHECK_S
        while True:
            message: Message | None = None
            with anyio.move_on_after(recheck_at - time.monotonic()):
                message = await queue.get()
            if message is None:
                await self._check(credential)
                recheck_at = time.monotonic() + RECHECK_S
            elif self.mode == "watch" or message.get("type") in DEVICE_TYPES:
                await self._send(message)

    def _reply(self, message_type: str, client_id: str | None, /, **fields: Any) -> Message:
        return {"type": message_type, "seq": self.seq, "client_id": client_id, **fields}

    def _error(self, client_id: str | None, exc: ClarityError) -> Message:
        return self._reply("error", client_id, status_code=exc.status_code, detail=exc.detail)

    async def _send(self, message: Message) -> None:
        async with self.send_lock:
            await self.ws.send_text(notices.dumps(message))

    async def _close(self, code: int, reason: str) -> None:
        clipped = reason.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")
        try:
            await self.ws.close(code, clipped)
        except (RuntimeError, WebSocketDisconnect):  # the client has already gone
            return


def _header_credential(websocket: WebSocket) -> Credential | None:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return Credential(token=token.strip())
    api_key = websocket.headers.get("x-api-key", "").strip()
    return Credential(api_key=api_key) if api_key else None


def _credential_in(message: AsgiMessage) -> Credential:
    _raise_if_disconnect(message)
    data = message.get("text")
    credential = streaming.credential_from(streaming.parse(data)) if data else None
    if credential is None:
        raise _Refused(
            'authenticate first: a header, or {"type": "auth", "token" | "api_key": ...}'
        )
    return credential


def _raise_if_disconnect(message: AsgiMessage) -> None:
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))


def _too_large(data: str | bytes, limit: int) -> Inbound:
    return Inbound(
        "waveform", problem=PayloadTooLarge(f"a message of {len(data)} bytes is over {limit}")
    )
