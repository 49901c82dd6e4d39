"""Devices over the live stream: ``WebSocket /api/v1/sessions/{id}/stream`` (push mode).

The session is started over HTTP, then each device keeps one WebSocket open and sends every
chunk as a binary frame (or a JSON text message), waiting for its ``ack`` or ``error`` reply; the
stream answers every message exactly once, in order, and may slip ``finding``/``alert`` messages
in between, which are skipped here. Compression is off: on a LAN it costs more CPU than it saves.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from clarity.simulate.signals import Counts
from clarity.simulate.uplink import Account, Ack, ChunkEncoder, HttpUplink, SimulationError

_REPLIES = frozenset({"ack", "error", "pong"})


class WebSocketUplink:
    """Chunks over one WebSocket per device; session start and end over HTTP."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, encoder: ChunkEncoder) -> None:
        self.http_uplink = HttpUplink(http, encoder)
        self.ws_root = base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        self.encoder = encoder
        self.sockets: dict[str, ClientConnection] = {}

    async def start(self, account: Account, session_id: str, device_serial: str) -> None:
        await self.http_uplink.start(account, session_id, device_serial)
        url = f"{self.ws_root.rstrip('/')}/sessions/{session_id}/stream"
        try:
            socket = await connect(
                url,
                additional_headers=account.headers,
                compression=None,
                max_size=None,
                open_timeout=60,
                ping_interval=None,
            )
            ready = orjson.loads(await socket.recv())
        except (OSError, WebSocketException) as exc:
            raise SimulationError(f"cannot open the stream of {session_id}: {exc}") from exc
        if ready.get("type") != "ready":
            raise SimulationError(f"the stream of {session_id} answered {ready}")
        self.sockets[session_id] = socket

    async def send(
        self, account: Account, session_id: str, counts: Counts, start_idx: int, timestamp_ms: int
    ) -> Ack:
        socket = self.sockets[session_id]
        extra = {"type": "waveform", "client_id": secrets.token_hex(12)}
        content, content_type = self.encoder.encode(counts, start_idx, timestamp_ms, extra)
        message = content.decode() if content_type == "application/json" else content
        started = time.perf_counter()
        try:
            await socket.send(message)
            reply = await _reply(socket)
        except (OSError, WebSocketException) as exc:
            failed = f"{type(exc).__name__}: {exc}"
            return Ack(False, None, time.perf_counter() - started, len(content), failed)
        latency = time.perf_counter() - started
        if reply.get("type") == "ack":
            return Ack(True, 200, latency, len(content))
        code = int(reply.get("status_code") or 500)
        return Ack(False, code, latency, len(content), str(reply.get("detail")))

    async def end(self, account: Account, session_id: str) -> None:
        socket = self.sockets.pop(session_id, None)
        if socket is not None:
            await socket.close()
        await self.http_uplink.end(account, session_id)


async def _reply(socket: ClientConnection) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = orjson.loads(await socket.recv())
        if message.get("type") in _REPLIES:
            return message
