"""Device-side helpers for tests: start a session, send chunks (JSON or binary frames)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from fastapi.testclient import TestClient
from httpx2 import Response

from clarity.monitoring import frames
from tests.factories.accounts import Account
from tests.factories.ecg import LEADS_12, leads_dict

T0 = datetime(2025, 1, 8, 12, 34, 56, 789000, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def start(client: TestClient, account: Account, **body: Any) -> str:
    response = client.post(
        "/api/v1/sessions/start",
        json={"device_serial": "ECG-T", "device_info": {"os": "test"}, **body},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["session_id"])


def send_json(
    client: TestClient,
    account: Account,
    session_id: str,
    samples: npt.NDArray[np.float64],
    *,
    fs: float = 500.0,
    at: datetime = T0,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"timestamp": iso(at), "sampling_rate": fs, "leads": leads_dict(samples), **extra}
    return client.post(
        f"/api/v1/sessions/{session_id}/waveform",
        json=body,
        headers={**account.headers, **(headers or {})},
    )


def binary_frame(
    counts: npt.NDArray[np.int16],
    *,
    fs: float = 500.0,
    gain: float = 200.0,
    start_idx: int | None = None,
    at: datetime = T0,
    leads: tuple[str, ...] = LEADS_12,
) -> bytes:
    frame = frames.Frame(
        fs, leads[: counts.shape[0]], counts, gain, start_idx, int(at.timestamp() * 1000)
    )
    return frames.encode(frame)


def send_binary(
    client: TestClient,
    account: Account,
    session_id: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> Response:
    return client.post(
        f"/api/v1/sessions/{session_id}/waveform",
        content=body,
        headers={**account.headers, "Content-Type": frames.MEDIA_TYPE, **(headers or {})},
    )


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
