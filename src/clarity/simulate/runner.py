"""``clarity simulate``: N virtual devices stream ECG to a running server, then the data is checked.

Each device starts a session with an id of its own, sends a chunk every ``chunk_s`` seconds in
real time (devices spread evenly over the chunk period, as unsynchronised devices are) or back to
back as fast as the server answers, and ends its session. Afterwards every session's stored
sample count is compared with what was acknowledged, and ``verify`` sessions are read back and
compared sample by sample with what was sent.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import httpx
import numpy as np

from clarity.simulate import signals
from clarity.simulate.keepalive import KeepAliveUplink
from clarity.simulate.progress import Progress
from clarity.simulate.stats import Recorder, Summary, Verification, percentiles_ms
from clarity.simulate.uplink import (
    Account,
    Ack,
    BodyFormat,
    ChunkEncoder,
    HttpUplink,
    register_accounts,
)
from clarity.simulate.verify import verify_sessions
from clarity.simulate.wsuplink import WebSocketUplink

Transport = Literal["http", "httpx", "ws"]
"""``http``: a lean kept-alive connection per device; ``httpx``: the general client's pool;
``ws``: the live stream."""
T = TypeVar("T")
_SETUP_CONCURRENCY = 32


@dataclass(frozen=True)
class SimulationConfig:
    """Everything ``clarity simulate`` takes (see its ``--help``)."""

    url: str = "http://127.0.0.1:8000/api/v1"
    devices: int = 10
    fs: float = 500.0
    leads: int = 12
    duration_s: float = 30.0
    chunk_s: float = 5.0
    source: Path | None = None
    body: BodyFormat = "binary"
    transport: Transport = "http"
    realtime: bool = True
    api_key: str | None = None
    accounts: int = 1
    verify: int = 3
    seed: int = 0
    timeout_s: float = 60.0
    progress: bool = True


class Uplink(Protocol):
    async def start(self, account: Account, session_id: str, device_serial: str) -> None: ...

    async def send(
        self, account: Account, session_id: str, counts: signals.Counts, start_idx: int, ts_ms: int
    ) -> Ack: ...

    async def end(self, account: Account, session_id: str) -> None: ...


@dataclass
class Device:
    """One virtual device: its session, account, tape, phase in the chunk period and results."""

    index: int
    session_id: str
    account: Account
    tape: signals.Tape
    offset_s: float
    keep: bool
    sent: list[signals.Counts] = field(default_factory=list)
    samples_acked: int = 0
    complete: bool = True


def run_simulation(config: SimulationConfig) -> Summary:
    """Run the simulation to the end and return its summary (on uvloop where installed)."""
    return run_fast(simulate(config))


def run_fast(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop's event loop when it is installed (less CPU per request)."""
    try:
        import uvloop  # noqa: PLC0415 - optional: uvicorn[standard] brings it on Linux and macOS
    except ImportError:  # pragma: no cover - depends on the platform
        return asyncio.run(work)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


async def simulate(
    config: SimulationConfig, on_phase: Callable[[str], None] | None = None
) -> Summary:
    """The simulation as a coroutine; ``on_phase("stream"|"done")`` brackets the streaming part
    (benchmarks sample CPU counters there, leaving out session setup and checks)."""
    tapes = _tapes(config)
    run_id = secrets.token_hex(3)
    limits = httpx.Limits(
        max_connections=config.devices + 8,
        max_keepalive_connections=None,
        keepalive_expiry=max(30.0, 3 * config.chunk_s),  # a device keeps its connection
    )
    async with httpx.AsyncClient(
        base_url=config.url.rstrip("/"), timeout=config.timeout_s, limits=limits
    ) as http:
        accounts = await _accounts(http, config, run_id)
        uplink = _uplink(http, config)
        devices = _devices(config, tapes, accounts, run_id)
        await _bounded(
            uplink.start(d.account, d.session_id, f"SIM-{run_id}-{d.index}") for d in devices
        )
        (on_phase or _ignore)("stream")
        recorder, wall_s = await _stream(devices, uplink, config)
        (on_phase or _ignore)("done")
        await _bounded(uplink.end(d.account, d.session_id) for d in devices)
        checked = await verify_sessions(http, devices) if config.verify > 0 else Verification()
    return _summary(config, recorder, wall_s, checked)


def _ignore(_phase: str) -> None:
    return None


def _tapes(config: SimulationConfig) -> list[signals.Counts]:
    signals.lead_names(config.leads)
    if config.source is not None:
        return signals.record_tapes(config.source, config.fs, config.leads)
    return signals.synthetic_tapes(config.fs, config.leads, config.seed)


async def _accounts(
    http: httpx.AsyncClient, config: SimulationConfig, run_id: str
) -> list[Account]:
    if config.api_key:
        return [Account({"X-API-Key": config.api_key})]
    password = secrets.token_urlsafe(12)
    return await register_accounts(http, max(1, config.accounts), run_id, password)


def _uplink(http: httpx.AsyncClient, config: SimulationConfig) -> Uplink:
    encoder = ChunkEncoder(config.body, config.fs, signals.lead_names(config.leads))
    if config.transport == "ws":
        return WebSocketUplink(http, config.url, encoder)
    if config.transport == "httpx":
        return HttpUplink(http, encoder)
    return KeepAliveUplink(http, config.url, encoder, config.timeout_s)


def _devices(
    config: SimulationConfig, tapes: list[signals.Counts], accounts: list[Account], run_id: str
) -> list[Device]:
    rng = np.random.default_rng(config.seed)
    devices = []
    for i in range(config.devices):
        tape = tapes[i % len(tapes)]
        devices.append(
            Device(
                index=i,
                session_id=f"sim_{run_id}_{i:05d}",
                account=accounts[i % len(accounts)],
                tape=signals.Tape(tape, int(rng.integers(tape.shape[1]))),
                offset_s=config.chunk_s * i / config.devices if config.realtime else 0.0,
                keep=i < config.verify,
            )
        )
    return devices


def chunk_sizes(config: SimulationConfig) -> list[int]:
    """Samples per lead of each chunk a device sends (the last one may be shorter)."""
    total = round(config.duration_s * config.fs)
    size = max(1, round(config.chunk_s * config.fs))
    return [min(size, total - start) for start in range(0, total, size)]


async def _stream(
    devices: list[Device], uplink: Uplink, config: SimulationConfig
) -> tuple[Recorder, float]:
    recorder = Recorder(config.leads)
    sizes = chunk_sizes(config)
    with Progress(len(devices) * len(sizes), enabled=config.progress) as progress:
        started = time.perf_counter()
        epoch_ms = int(time.time() * 1000)
        await asyncio.gather(
            *(
                _play(d, uplink, config, sizes, (started, epoch_ms), recorder, progress.advance)
                for d in devices
            )
        )
    return recorder, time.perf_counter() - started


async def _play(
    device: Device,
    uplink: Uplink,
    config: SimulationConfig,
    sizes: list[int],
    clock: tuple[float, int],
    recorder: Recorder,
    advance: Callable[[], None],
) -> None:
    """One device's chunks, each at its time (real time) or as soon as the last was answered."""
    started, epoch_ms = clock
    start_idx = 0
    for k, n in enumerate(sizes):
        due = started + device.offset_s + k * config.chunk_s
        if config.realtime and (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        lag_s = time.perf_counter() - due if config.realtime else 0.0
        counts = device.tape.read(n)
        ts_ms = epoch_ms + round(start_idx * 1000 / config.fs)
        ack = await uplink.send(device.account, device.session_id, counts, start_idx, ts_ms)
        recorder.record(ack, n, max(0.0, lag_s))
        _keep(device, ack, counts, n)
        start_idx += n
        advance()


def _keep(device: Device, ack: Ack, counts: signals.Counts, n: int) -> None:
    if ack.ok:
        device.samples_acked += n
        if device.keep:
            device.sent.append(counts)
    else:
        device.complete = False


async def _bounded(work: Iterable[Awaitable[None]], limit: int = _SETUP_CONCURRENCY) -> None:
    gate = asyncio.Semaphore(limit)

    async def run(task: Awaitable[None]) -> None:
        async with gate:
            await task

    await asyncio.gather(*(run(task) for task in work))


def _summary(
    config: SimulationConfig, recorder: Recorder, wall_s: float, checked: Verification
) -> Summary:
    return Summary(
        devices=config.devices,
        n_leads=config.leads,
        fs=config.fs,
        chunk_s=config.chunk_s,
        body=config.body,
        transport=config.transport,
        realtime=config.realtime,
        wall_s=wall_s,
        chunks_sent=recorder.chunks_sent,
        chunks_acked=recorder.chunks_acked,
        rejected=dict(recorder.rejected),
        failed=recorder.failed,
        samples_sent=recorder.samples_sent,
        samples_acked=recorder.samples_acked,
        bytes_sent=recorder.bytes_sent,
        latency_ms=percentiles_ms(recorder.latencies_s),
        late_chunks=recorder.late,
        max_lag_s=recorder.max_lag_s,
        verification=checked,
        errors=tuple(recorder.errors),
    )
