"""After a simulation: does the server hold every acknowledged sample, exactly as sent?"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx
import numpy as np

from clarity.monitoring import frames
from clarity.simulate.stats import Verification
from clarity.simulate.uplink import expected_millivolts

if TYPE_CHECKING:
    from clarity.simulate.runner import Device

WINDOW_S = 300.0  # read long sessions in windows the server accepts
_CONCURRENCY = 16


async def verify_sessions(http: httpx.AsyncClient, devices: list[Device]) -> Verification:
    """Stored sample counts of every session; bit-exact read-back of the devices that kept data."""
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def count(device: Device) -> bool:
        async with gate:
            return await stored_samples(http, device) == device.samples_acked

    async def compare(device: Device) -> bool:
        async with gate:
            return await reads_back_exactly(http, device)

    counted = await asyncio.gather(*(count(d) for d in devices))
    chosen = [d for d in devices if d.keep and d.complete and d.sent]
    exact = await asyncio.gather(*(compare(d) for d in chosen))
    return Verification(len(counted), sum(counted), len(chosen), sum(exact))


async def stored_samples(http: httpx.AsyncClient, device: Device) -> int | None:
    """How many samples per lead the server holds for the device's session."""
    response = await http.get(f"/sessions/{device.session_id}/data", headers=device.account.headers)
    if response.status_code != 200:
        return None
    return int(response.json()["n_samples"])


async def reads_back_exactly(http: httpx.AsyncClient, device: Device) -> bool:
    """Whether ``GET …/waveform?format=binary`` gives back the very floats that were sent."""
    expected = expected_millivolts(device.sent)
    fs = await _fs(http, device)
    parts, start_s = [], 0.0
    while start_s * fs < expected.shape[1]:
        response = await http.get(
            f"/sessions/{device.session_id}/waveform",
            params={"format": "binary", "start": start_s, "end": start_s + WINDOW_S},
            headers=device.account.headers,
        )
        if response.status_code != 200:
            return False
        parts.append(frames.decode(response.content).millivolts())
        start_s += WINDOW_S
    return bool(np.array_equal(np.hstack(parts), expected))


async def _fs(http: httpx.AsyncClient, device: Device) -> float:
    response = await http.get(f"/sessions/{device.session_id}/data", headers=device.account.headers)
    return float(response.json()["sampling_rate"])
