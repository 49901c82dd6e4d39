"""``clarity simulate`` against the real app over real HTTP (and the live stream), plus its signals."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from clarity.cli import app as cli
from clarity.db.models import Recording, WaveformChunk
from clarity.runtime import Runtime
from clarity.simulate import SimulationConfig, run_simulation, signals
from clarity.simulate.keepalive import KeepAliveConnection
from clarity.simulate.runner import chunk_sizes
from tests.factories.server import LiveServer
from tests.realdata import shared_data


@pytest.fixture
def server(app: FastAPI) -> Iterator[LiveServer]:
    live = LiveServer(app)
    live.start()
    yield live
    live.stop()


def stored(runtime: Runtime) -> tuple[int, int, int]:
    """(sessions, chunks, samples per lead) in the database."""
    with runtime.session_factory() as db:
        sessions = db.scalar(select(func.count()).select_from(Recording)) or 0
        chunks = db.scalar(select(func.count()).select_from(WaveformChunk)) or 0
        samples = db.scalar(select(func.sum(WaveformChunk.n_samples))) or 0
    return sessions, chunks, int(samples)


def fast(server: LiveServer, **overrides: object) -> SimulationConfig:
    base = SimulationConfig(
        url=server.url, devices=3, duration_s=3.0, chunk_s=1.0, realtime=False, progress=False
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]  # keyword overrides


def test_fast_binary_run_stores_every_sample_exactly(server: LiveServer, runtime: Runtime) -> None:
    summary = run_simulation(fast(server))
    assert (summary.chunks_sent, summary.chunks_acked, summary.chunks_rejected) == (9, 9, 0)
    assert summary.samples_acked == 3 * 1500 and summary.failed == 0
    assert summary.verification.counts_match == 3 and summary.verification.exact == 3
    assert summary.all_stored and summary.latency_ms["p50"] > 0
    assert stored(runtime) == (3, 9, 4500)
    assert "3/3 read back bit-exact" in summary.render()


def test_rejected_chunks_are_counted_not_hidden(server: LiveServer, runtime: Runtime) -> None:
    summary = run_simulation(fast(server, devices=2, fs=60.0, chunk_s=1.0, duration_s=2.0))
    assert summary.rejected == {422: 4} and summary.chunks_acked == 0
    assert not summary.all_stored and "rejected 4x422" in summary.render()
    assert stored(runtime)[1] == 0


def test_real_time_paces_each_device(server: LiveServer) -> None:
    summary = run_simulation(
        fast(server, devices=2, duration_s=0.6, chunk_s=0.2, realtime=True, verify=1)
    )
    assert summary.chunks_acked == 6 and summary.all_stored
    assert summary.wall_s >= 0.4  # chunks 0.2 s apart: the third leaves 0.4 s after the first
    assert "real time" in summary.render()


@pytest.mark.realdata
def test_json_bodies_from_mit_bih_records(server: LiveServer, runtime: Runtime) -> None:
    mitdb = shared_data("mitdb")
    summary = run_simulation(fast(server, devices=2, body="json", source=mitdb, duration_s=2.0))
    assert summary.all_stored and summary.verification.exact == 2
    assert stored(runtime) == (2, 4, 2000)


def test_websocket_transport(server: LiveServer, runtime: Runtime) -> None:
    summary = run_simulation(fast(server, devices=2, transport="ws"))
    assert summary.chunks_acked == 6 and summary.all_stored
    assert stored(runtime)[1:] == (6, 3000)


def test_httpx_transport_and_the_lean_one_store_the_same(
    server: LiveServer, runtime: Runtime
) -> None:
    lean = run_simulation(fast(server, devices=2, body="json"))
    general = run_simulation(fast(server, devices=2, body="json", transport="httpx"))
    assert lean.all_stored and general.all_stored
    assert lean.chunks_acked == general.chunks_acked == 6
    assert stored(runtime) == (4, 12, 6000)


def test_lean_connection_is_reopened_when_the_server_dropped_it() -> None:
    """A kept-alive connection the server closed while idle: the request goes out once more."""
    served: list[bytes] = []

    async def one_request_per_connection(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        served.append(await reader.readexactly(length))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # without "Connection: close", as an idle timeout would

    async def run() -> list[tuple[int, bytes]]:
        server = await asyncio.start_server(one_request_per_connection, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        connection = KeepAliveConnection("127.0.0.1", port, None, timeout_s=5.0)
        head = b"POST /x HTTP/1.1\r\nHost: test"
        answers = [await connection.request(head, body) for body in (b"one", b"two")]
        connection.close()
        server.close()
        return answers

    assert asyncio.run(run()) == [(200, b"ok"), (200, b"ok")]
    assert served == [b"one", b"two"]


def test_cli_command(server: LiveServer) -> None:
    args = ["simulate", "--devices", "2", "--duration", "1", "--chunk-seconds", "0.5"]
    result = CliRunner().invoke(cli, [*args, "--no-realtime", "--url", server.url])
    assert result.exit_code == 0, result.output
    assert "acknowledged 4" in result.output and "2/2 read back bit-exact" in result.output


def test_two_lead_record_mapped_to_twelve() -> None:
    mv = {"II": np.array([1.0, 2.0]), "V1": np.array([0.5, -0.5])}
    mapped = {name: signals._lead(mv, name) for name in signals.lead_names(12)}
    assert mapped["II"] is mv["II"] and mapped["V1"] is mv["V1"]
    assert mapped["V6"] is mv["V1"] and mapped["aVF"] is mv["II"]  # filled from their group
    with_i = signals._limb_leads({"I": np.array([1.0]), "II": np.array([3.0])})
    assert with_i["III"][0] == 2.0 and with_i["aVR"][0] == -2.0  # Einthoven, Goldberger


def test_synthetic_tapes_loop_and_chunk_sizes(server: LiveServer) -> None:
    tapes = signals.synthetic_tapes(500.0, 12, seed=1, count=2)
    assert all(t.dtype == np.int16 and t.shape[0] == 12 for t in tapes)
    assert 500 < np.abs(tapes[0]).max() < 2000  # an R wave of about a millivolt, in µV
    tape = signals.Tape(tapes[0], start_idx=tapes[0].shape[1] - 10)
    chunk = tape.read(25)
    assert np.array_equal(chunk[:, 10:], tapes[0][:, :15])
    assert chunk_sizes(fast(server, duration_s=2.5, chunk_s=1.0)) == [500, 500, 250]
