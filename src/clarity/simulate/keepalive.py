"""Devices over plain HTTP/1.1: one kept-alive connection per device, on asyncio streams.

A load generator that shares its machine with the server must cost little CPU per request: this
one writes a prebuilt request head and reads the status line, the headers and a
``Content-Length`` body, nothing more (no cookies, redirects, proxies or connection pools), about
a fifth of what a general HTTP client costs per chunk. Each device keeps its own connection, as
a real device would. When the server has closed an idle connection just as a request reused it,
the request is sent once more on a new connection: every upload here is idempotent (its
Idempotency-Key, the client's session id). Session start and end, and the read-back checks, go
through the general client (``HttpUplink``), where CPU does not matter.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
import time
from urllib.parse import urlsplit

import httpx

from clarity.simulate.signals import Counts
from clarity.simulate.uplink import Account, Ack, ChunkEncoder, HttpUplink, refresh

_RETRYABLE = (ConnectionError, asyncio.IncompleteReadError, EOFError)
_MAX_HEAD_BYTES = 64 * 1024


class HttpResponseError(Exception):
    """The server's answer could not be read as HTTP/1.1 (a bug, not a network failure)."""


class KeepAliveConnection:
    """One HTTP/1.1 connection, (re)opened on demand; requests on it go one after another."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, timeout_s: float) -> None:
        self.host, self.port, self.tls, self.timeout_s = host, port, tls, timeout_s
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        """Send ``head`` (request line and headers, without the blank line) and ``body``;
        (status, body) of the answer. A stale kept-alive connection is replaced once."""
        fresh = self._streams is None
        try:
            return await asyncio.wait_for(self._exchange(head, body), self.timeout_s)
        except _RETRYABLE:
            self.close()
            if fresh:
                raise
        return await asyncio.wait_for(self._exchange(head, body), self.timeout_s)

    async def _exchange(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port, ssl=self.tls)
        reader, writer = self._streams
        writer.write(b"%s\r\nContent-Length: %d\r\n\r\n" % (head, len(body)))
        writer.write(body)
        status, length, keep = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        content = await reader.readexactly(length) if length else b""
        if not keep:
            self.close()
        return status, content

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _parse_head(raw: bytes) -> tuple[int, int, bool]:
    """(status, Content-Length, whether the connection stays open) of a response head."""
    if len(raw) > _MAX_HEAD_BYTES:
        raise HttpResponseError("response head too large")
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HttpResponseError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    length, keep = 0, parts[0] == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            keep = value.strip().lower() != "close"
        elif name == "transfer-encoding":
            raise HttpResponseError("chunked responses are not expected on the upload path")
    return int(parts[1]), length, keep


class KeepAliveUplink:
    """Chunks over one kept-alive HTTP/1.1 connection per device; start and end through httpx."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, encoder: ChunkEncoder, timeout_s: float
    ) -> None:
        self.http_uplink = HttpUplink(http, encoder)
        self.http = http
        self.encoder = encoder
        self.timeout_s = timeout_s
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"an http(s) URL is needed, not {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = ssl.create_default_context() if parts.scheme == "https" else None
        self.root = parts.path
        self.host_header = parts.netloc
        self.connections: dict[str, KeepAliveConnection] = {}

    async def start(self, account: Account, session_id: str, device_serial: str) -> None:
        await self.http_uplink.start(account, session_id, device_serial)
        self.connections[session_id] = KeepAliveConnection(
            self.host, self.port, self.tls, self.timeout_s
        )

    async def send(
        self, account: Account, session_id: str, counts: Counts, start_idx: int, timestamp_ms: int
    ) -> Ack:
        content, content_type = self.encoder.encode(counts, start_idx, timestamp_ms)
        connection = self.connections[session_id]
        path = f"{self.root}/sessions/{session_id}/waveform"
        key = secrets.token_hex(12)
        started = time.perf_counter()
        try:
            sent_with = account.headers
            status, answer = await connection.request(
                self._head(path, content_type, key, sent_with), content
            )
            if status == 401 and await refresh(self.http, account, sent_with):
                status, answer = await connection.request(
                    self._head(path, content_type, key, account.headers), content
                )
        except (OSError, TimeoutError, HttpResponseError, *_RETRYABLE) as exc:
            failed = f"{type(exc).__name__}: {exc}"
            return Ack(False, None, time.perf_counter() - started, len(content), failed)
        latency = time.perf_counter() - started
        if status == 200:
            return Ack(True, 200, latency, len(content))
        text = answer[:300].decode(errors="replace")
        return Ack(False, status, latency, len(content), text)

    def _head(self, path: str, content_type: str, key: str, headers: dict[str, str]) -> bytes:
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {self.host_header}",
            f"Content-Type: {content_type}",
            f"Idempotency-Key: {key}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        return "\r\n".join(lines).encode("latin-1")

    async def end(self, account: Account, session_id: str) -> None:
        connection = self.connections.pop(session_id, None)
        if connection is not None:
            connection.close()
        await self.http_uplink.end(account, session_id)
