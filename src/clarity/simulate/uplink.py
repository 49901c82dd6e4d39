"""How a virtual device talks to the server: accounts, and chunks over HTTP (JSON or binary).

Every chunk carries ``start_sample`` and an Idempotency-Key, as a real device's would. Latency
is measured from just before the request is written to when its answer has been read.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import numpy as np
import orjson

from clarity.monitoring import frames
from clarity.simulate.signals import GAIN_COUNTS_PER_MV, Counts

BodyFormat = Literal["json", "binary"]


class SimulationError(Exception):
    """The simulation cannot go on (no server, refused sign-in...)."""


@dataclass
class Account:
    """Credentials several devices may share; a 401 refreshes them once for all."""

    headers: dict[str, str]
    refresh_token: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True)
class Ack:
    """The answer to one chunk: accepted or not, HTTP status, latency, bytes sent, what went wrong."""

    ok: bool
    status_code: int | None
    latency_s: float
    n_bytes: int
    error: str | None = None


async def register_accounts(
    http: httpx.AsyncClient, count: int, run_id: str, password: str
) -> list[Account]:
    """``count`` device users registered through ``/auth/register``."""
    accounts = []
    for k in range(count):
        body = {
            "full_name": f"Simulated device user {run_id}-{k}",
            "password": password,
            "device_serial": f"SIM-{run_id}-{k}",
        }
        response = await http.post("/auth/register", json=body)
        if response.status_code != 201:
            raise SimulationError(f"registration refused: {response.status_code} {response.text}")
        data = response.json()
        accounts.append(Account(_bearer(data["token"]), data["refresh_token"]))
    return accounts


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class ChunkEncoder:
    """Builds chunk bodies: binary frames of int16 counts, or the seed's JSON lead dict in mV."""

    body: BodyFormat
    fs: float
    leads: tuple[str, ...]

    def encode(
        self,
        counts: Counts,
        start_idx: int,
        timestamp_ms: int,
        extra: dict[str, Any] | None = None,
    ) -> tuple[bytes, str]:
        """The request body of a chunk and its content type."""
        if self.body == "binary":
            frame = frames.Frame(
                self.fs, self.leads, counts, GAIN_COUNTS_PER_MV, start_idx, timestamp_ms
            )
            return frames.encode(frame), frames.MEDIA_TYPE
        millivolts = counts / GAIN_COUNTS_PER_MV
        payload = {
            **(extra or {}),
            "timestamp": datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(),
            "sampling_rate": self.fs,
            "start_sample": start_idx,
            "leads": {name: millivolts[i] for i, name in enumerate(self.leads)},
        }
        return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), "application/json"


class HttpUplink:
    """Devices over the REST API through one shared connection pool."""

    def __init__(self, http: httpx.AsyncClient, encoder: ChunkEncoder) -> None:
        self.http = http
        self.encoder = encoder

    async def start(self, account: Account, session_id: str, device_serial: str) -> None:
        payload = {
            "session_id": session_id,
            "device_serial": device_serial,
            "device_info": {"app_version": "clarity-simulate", "simulated": True},
        }
        response = await self._post(account, "/sessions/start", orjson.dumps(payload), {})
        if response.status_code != 200:
            raise SimulationError(f"session start refused: {response.status_code} {response.text}")

    async def send(
        self, account: Account, session_id: str, counts: Counts, start_idx: int, timestamp_ms: int
    ) -> Ack:
        content, content_type = self.encoder.encode(counts, start_idx, timestamp_ms)
        headers = {"Content-Type": content_type, "Idempotency-Key": secrets.token_hex(12)}
        started = time.perf_counter()
        try:
            response = await self._post(
                account, f"/sessions/{session_id}/waveform", content, headers
            )
        except httpx.HTTPError as exc:
            failed = f"{type(exc).__name__}: {exc}"
            return Ack(False, None, time.perf_counter() - started, len(content), failed)
        latency = time.perf_counter() - started
        if response.status_code == 200:
            return Ack(True, 200, latency, len(content))
        return Ack(False, response.status_code, latency, len(content), response.text[:300])

    async def end(self, account: Account, session_id: str) -> None:
        payload = orjson.dumps({"summary": {"simulated": True}})
        await self._post(account, f"/sessions/{session_id}/end", payload, {})

    async def _post(
        self, account: Account, path: str, content: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        sent_with = account.headers
        merged = {"Content-Type": "application/json", **headers}
        try:
            response = await self.http.post(path, content=content, headers={**merged, **sent_with})
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
            # the server closed an idle kept-alive connection as we reused it: every request here
            # is idempotent (Idempotency-Key, client session id), so send it once more
            response = await self.http.post(path, content=content, headers={**merged, **sent_with})
        if response.status_code == 401 and await refresh(self.http, account, sent_with):
            response = await self.http.post(
                path, content=content, headers={**merged, **account.headers}
            )
        return response


async def refresh(http: httpx.AsyncClient, account: Account, stale: dict[str, str]) -> bool:
    """New tokens for ``account`` (once, however many devices hit the 401); whether it worked."""
    async with account.lock:
        if account.headers is not stale:
            return True
        if not account.refresh_token:
            return False
        response = await http.post("/auth/refresh", json={"refresh_token": account.refresh_token})
        if response.status_code != 200:
            return False
        data: dict[str, Any] = response.json()
        account.headers, account.refresh_token = _bearer(data["token"]), data["refresh_token"]
        return True


def expected_millivolts(chunks: list[Counts]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The floats the server must give back for ``chunks`` (what a JSON client sent)."""
    return np.hstack(chunks) / GAIN_COUNTS_PER_MV
