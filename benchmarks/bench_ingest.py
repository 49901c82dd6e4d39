"""How many real-time ECG devices one small server sustains, against a naive peer.

Server and load generator share this 2-core machine. Each simulated device streams 12 leads at
500 Hz in 5 s chunks, in real time, devices evenly spread over the chunk period
(``clarity.simulate``, over real HTTP). A step with N devices *sustains* real time when every
chunk is acknowledged, the server holds every acknowledged sample of every session (stored sample
counts checked for all sessions, three sessions read back and compared bit for bit), no device
falls more than 1 s behind its schedule, and p99 upload latency stays under 250 ms. Device counts
are ramped by doubling, then bisected between the last sustained and the first failed step.

Modes, each on a fresh server subprocess (uvicorn, the app of ``clarity serve``, SQLite and local
blobs under a temporary ``CLARITY_DATA_DIR``; ``--postgres URL`` for PostgreSQL):

* ``binary``: binary frames (int16 at 1 µV), live analysis off;
* ``json``: the seed's JSON lead dict in mV, live analysis off;
* ``analysis``: binary frames with the live-analysis jobs on (in-process job threads);
* ``ws`` (on request): binary frames over ``WebSocket …/stream``, live analysis off;
* ``naive``: the seed's sketch (``naive_ingest.py``: a row per upload, a JSON float array per lead
  in a text column, no auth, no idempotency), JSON bodies — the peer.

Run: ``python benchmarks/bench_ingest.py [--quick] [--modes binary,json,analysis,ws,naive]
[--workers 1] [--postgres postgresql://postgres@127.0.0.1:5432/test] [--start 25] [--max 3200]``

``benchmarks/ingest_profile.py`` splits the server's CPU per upload into its components.

Results (full run, SQLite, 1 worker, 2026-11-22; 2 shared vCPUs, load average 0.3-1.9 before
each step; the ``analysis`` row is from a run with the drain criterion above; a later run of
``--modes analysis``, after the beat-label and R-peak changes of the same day, sustained 600
devices: p50 4.8 ms, p99 28.2 ms, 8.6 ms server CPU per chunk, caught up 3.6 s after the last
chunk, 700 failed on p99 259 ms)::

    mode      sustained target  p50 ms  p99 ms  samples/s server ms loadgen ms ceiling B/sample
    binary         1400   1000     2.3    20.7  8,400,460       2.3        0.3   3,747     1.37
    json            600    200     7.6    59.8  3,600,189       6.4        1.5   1,267     1.36
    analysis        500    200     6.0    41.9  2,999,691      10.1        0.6     931     1.50
    naive           300      -    14.8    95.6  1,799,938      14.4        1.6     626     7.23
    binary / naive sustained devices: 4.67x       naive / binary server CPU per chunk: 6.17x
    json / naive sustained devices: 2.00x         naive / json server CPU per chunk: 2.24x
    analysis / naive sustained devices: 1.67x     naive / analysis server CPU per chunk: 1.62x
    binary / naive stored bytes per sample: 0.189x
    json / naive stored bytes per sample: 0.189x

On 2026-12-07 the machine was about twice as slow (bench_speed's NeuroKit2 peer took 1.4-1.7
times as long as the day before): ``--modes analysis`` sustained 200 devices, both with the code
of that day (21.2 ms server CPU per chunk, p99 43.4 ms) and, run just before it, with the code
of 2026-12-06 (22.1 ms, p99 47.9 ms), so the day's signal changes cost nothing measurable here.
In a second session that day, after the P-wave lock (``clarity.ecg.signal.p_lock``, about
0.3 ms per 16 s window of three leads) and the opposite-complex rule: 250 devices sustained
(19.2 ms server CPU per chunk, p99 37.5 ms, caught up 3.6 s after the last chunk); 300 failed
on the drain (6.8 s).

Every step stored and read back every acknowledged sample exactly. The first failed steps:
binary 1600 (p99 747 ms), JSON 800 (p99 3.8 s, one device late), analysis 600 (the live analysis
trailed the uploads by 5.6 s; at 500 it caught up 3.1 s after the last chunk, at 400 in 1.0 s),
naive 350 (p99 301 ms). "server ms" and "loadgen ms" are CPU milliseconds per chunk while
streaming (for the server, until it has caught up); "ceiling" is the device count two idle cores
could carry at these costs. All three targets are met on this machine.

Where a binary upload's server CPU goes (``ingest_profile.py``, SQLite: 1.1 ms per chunk for the
use case; the HTTP layer, uvicorn and FastAPI, brings the total to the 2.3 ms above):
idempotency INSERT 20 %, zlib 13 %, commit 13 %, blob file 12 %, chunk INSERT 12 %, recording
UPDATE 10 %, decode + checks 9 %, frame encode + SHA-256 5 %, auth and upload target (cached per
process) 1 %, the rest 7 %.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from fastapi import FastAPI

from clarity.config import get_settings
from clarity.db.migrate import upgrade
from clarity.main import create_app
from clarity.runtime import build_runtime
from clarity.simulate import SimulationConfig, Summary, simulate
from clarity.simulate.runner import run_fast

HERE = Path(__file__).resolve().parent
P99_TARGET_MS = 250.0
# after the last chunk, the server must be idle again within one chunk period: work that trails
# further behind (live analysis falling behind the uploads) means it does not keep up
DRAIN_LIMIT_S = 5.0
TARGETS = {"binary": 1000, "json": 200, "analysis": 200}
MODES = ("binary", "json", "analysis", "naive")  # and "ws": binary frames over the live stream
CORES = 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def make_app() -> FastAPI:
    """The app of ``clarity serve``; ``BENCH_ANALYSIS=0`` unhooks the live-analysis listener."""
    runtime = build_runtime(get_settings())
    if os.environ.get("BENCH_ANALYSIS", "1") == "0":
        runtime.listeners.clear()
    return create_app(runtime=runtime)


@dataclass(frozen=True)
class Plan:
    window_s: float
    start: int
    maximum: int
    bisections: int
    workers: int
    postgres: str | None
    generator: str = "http"  # the simulator's HTTP transport: "http" (lean) or "httpx"


@dataclass(frozen=True)
class Step:
    devices: int
    summary: Summary
    server_cpu_s: float  # streaming and catching up after it (session setup, checks left out)
    loadgen_cpu_s: float
    load_average: float  # of the machine, over the last minute, at the end of the step
    drain_s: float  # from the last chunk until the server is idle (its work caught up)

    @property
    def sustained(self) -> bool:
        s = self.summary
        return (
            s.all_stored
            and s.late_chunks == 0
            and s.latency_ms["p99"] < P99_TARGET_MS
            and self.drain_s <= DRAIN_LIMIT_S
        )

    def cpu_ms_per_chunk(self, seconds: float) -> float:
        return seconds * 1000 / max(1, self.summary.chunks_sent)


@dataclass
class Ramp:
    mode: str
    steps: list[Step] = field(default_factory=list)
    bytes_per_sample: float = 0.0

    @property
    def best(self) -> Step | None:
        return max((s for s in self.steps if s.sustained), key=lambda s: s.devices, default=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and its children (uvicorn workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(stat.parent.name) == pid or int(fields[1]) == pid:
                total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextlib.contextmanager
def server(mode: str, data_dir: Path, plan: Plan) -> Iterator[Server]:
    """A fresh server subprocess for ``mode``."""
    port = _free_port()
    env = {**os.environ, "CLARITY_DATA_DIR": str(data_dir), "CLARITY_DEMO_DATA": "false"}
    env |= {"CLARITY_LOG_LEVEL": "WARNING", "CLARITY_LOGIN_RATE_LIMIT": "100000/60"}
    env |= {
        "BENCH_ANALYSIS": "1" if mode == "analysis" else "0",
        "NAIVE_DB": str(data_dir / "naive.db"),
    }
    if plan.postgres and mode != "naive":
        env["CLARITY_DATABASE_URL"] = plan.postgres
    upgrade(env.get("CLARITY_DATABASE_URL") or f"sqlite:///{data_dir / 'clarity.db'}")
    target = ["naive_ingest:app"] if mode == "naive" else ["bench_ingest:make_app", "--factory"]
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        *target,
        "--app-dir",
        str(HERE),
        "--port",
        str(port),
    ]
    command += ["--workers", str(plan.workers), "--no-access-log", "--log-level", "warning"]
    # devices send every 5 s: uvicorn's default 5 s keep-alive would close most connections
    # just before their next chunk (a reconnect per chunk, and races on reuse)
    command += ["--timeout-keep-alive", "30"]
    process = subprocess.Popen(command, env=env, cwd=data_dir)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/health", process)
        yield Server(f"http://127.0.0.1:{port}/api/v1", process.pid)
    finally:
        process.terminate()
        process.wait(30)


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"server did not answer {url}")


def settle(srv: Server, idle_share: float = 0.05, timeout_s: float = 300.0) -> float:
    """Wait until the server is idle (under ``idle_share`` of a core for 0.5 s) and return the
    seconds waited: what an earlier step left (the live analysis of its recordings' last
    windows) must not be counted against the next step."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        before = tree_cpu_s(srv.pid)
        time.sleep(0.5)
        if tree_cpu_s(srv.pid) - before < idle_share * 0.5:
            break
    return time.monotonic() - started


def run_step(srv: Server, mode: str, devices: int, plan: Plan, *, realtime: bool = True) -> Step:
    settle(srv)
    config = SimulationConfig(
        url=srv.url,
        devices=devices,
        duration_s=plan.window_s,
        chunk_s=5.0,
        body="json" if mode in ("json", "naive") else "binary",
        transport="ws" if mode == "ws" else plan.generator,  # type: ignore[arg-type]  # checked by argparse
        realtime=realtime,
        verify=3,
        progress=False,
        timeout_s=120.0,
        seed=devices,
    )
    marks: dict[str, tuple[float, float]] = {}
    drain = {"s": 0.0}

    def mark(phase: str) -> None:
        marks[phase] = (tree_cpu_s(srv.pid), time.process_time())
        if phase == "done":  # the devices wait (the loop blocks) while the server catches up
            drain["s"] = settle(srv)
            marks["drained"] = (tree_cpu_s(srv.pid), time.process_time())

    summary = run_fast(simulate(config, on_phase=mark))
    (server0, gen0), (server1, _), (_, gen1) = marks["stream"], marks["drained"], marks["done"]
    step = Step(devices, summary, server1 - server0, gen1 - gen0, os.getloadavg()[0], drain["s"])
    _print_step(mode, step)
    return step


def _print_step(mode: str, step: Step) -> None:
    s = step.summary
    print(
        f"  {mode:8} {step.devices:5d} devices  p50 {s.latency_ms['p50']:7.1f}  p99 "
        f"{s.latency_ms['p99']:7.1f} ms  acked {s.chunks_acked}/{s.chunks_sent}  late "
        f"{s.late_chunks}  drain {step.drain_s:4.1f} s  stored {'ok' if s.verification.ok else 'NO'}  server "
        f"{step.cpu_ms_per_chunk(step.server_cpu_s):5.1f} ms CPU/chunk ("
        f"{step.server_cpu_s / s.wall_s * 100:3.0f}% of a core)  load {step.load_average:.1f}"
        f"  -> {'sustained' if step.sustained else 'not sustained'}",
        flush=True,
    )


def ramp(srv: Server, mode: str, plan: Plan) -> Ramp:
    """Double the device count until a step fails, then bisect."""
    result = Ramp(mode)
    run_step(srv, mode, 4, replace(plan, window_s=10.0), realtime=False)  # warm-up
    devices, failed = plan.start, None
    while devices <= plan.maximum:
        step = run_step(srv, mode, devices, plan)
        result.steps.append(step)
        if not step.sustained:
            failed = devices
            break
        devices *= 2
    for _ in range(plan.bisections):
        low = result.best.devices if result.best else 0
        if failed is None or failed - low <= max(10, low // 10):
            break
        middle = (low + failed) // 2
        step = run_step(srv, mode, middle, plan)
        result.steps.append(step)
        failed = failed if step.sustained else middle
    return result


def stored_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())


def measure(mode: str, plan: Plan) -> Ramp:
    with tempfile.TemporaryDirectory(
        prefix=f"bench_ingest_{mode}_", dir=HERE.parent / "var"
    ) as tmp:
        data_dir = Path(tmp)
        print(f"{mode}:", flush=True)
        with server(mode, data_dir, plan) as srv:
            result = ramp(srv, mode, plan)
        values = sum(s.summary.samples_acked * s.summary.n_leads for s in result.steps)
        if values and not (plan.postgres and mode != "naive"):
            result.bytes_per_sample = stored_bytes(data_dir) / values
    return result


def report(results: dict[str, Ramp]) -> None:
    """The table, the targets and the ratios against the naive peer."""
    print(
        f"\n{'mode':9} {'sustained':>9} {'target':>6} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'samples/s':>10} {'server ms':>9} {'loadgen ms':>10} {'ceiling':>7} {'B/sample':>8}"
    )
    for mode, result in results.items():
        _report_row(mode, result)
    naive = results.get("naive")
    if naive is None or naive.best is None:
        return
    for mode in ("binary", "json", "analysis", "ws"):
        best = results[mode].best if mode in results else None
        if best is not None:
            print(f"{mode} / naive sustained devices: {best.devices / naive.best.devices:.2f}x")
    naive_ms = _server_ms(naive.best)
    for mode in ("binary", "json", "analysis", "ws"):
        best = results[mode].best if mode in results else None
        if best is not None:
            print(f"naive / {mode} server CPU per chunk: {naive_ms / _server_ms(best):.2f}x")
    for mode in ("binary", "json"):
        ours = results[mode].bytes_per_sample if mode in results else 0.0
        if ours and naive.bytes_per_sample:
            print(f"{mode} / naive stored bytes per sample: {ours / naive.bytes_per_sample:.3f}x")


def _server_ms(step: Step) -> float:
    return step.cpu_ms_per_chunk(step.server_cpu_s)


def _report_row(mode: str, result: Ramp) -> None:
    """One mode: its best sustained step, or the first step when none was sustained."""
    step = result.best or (result.steps[0] if result.steps else None)
    if step is None:
        return
    s = step.summary
    server_ms = _server_ms(step)
    gen_ms = step.cpu_ms_per_chunk(step.loadgen_cpu_s)
    # devices two idle cores could feed if CPU were the only limit (server + load generator)
    ceiling = CORES * 1000 / (server_ms + gen_ms) * s.chunk_s
    sustained = str(step.devices) if result.best else f"<{step.devices}"
    print(
        f"{mode:9} {sustained:>9} {TARGETS.get(mode, '-')!s:>6} {s.latency_ms['p50']:7.1f} "
        f"{s.latency_ms['p99']:7.1f} {s.values_per_s:10,.0f} {server_ms:9.1f} {gen_ms:10.1f} "
        f"{ceiling:7,.0f} {f'{result.bytes_per_sample:.2f}' if result.bytes_per_sample else '-':>8}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s windows, no bisection")
    parser.add_argument("--modes", default=",".join(MODES), help="of binary,json,analysis,ws,naive")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--postgres", help="PostgreSQL URL for our server (the peer stays SQLite)")
    parser.add_argument("--start", type=int, default=25, help="first device count")
    parser.add_argument("--max", type=int, default=3200, help="last device count tried")
    parser.add_argument(
        "--generator",
        choices=("http", "httpx"),
        default="http",
        help="load generator: a lean kept-alive connection per device, or httpx's pool",
    )
    args = parser.parse_args()
    (HERE.parent / "var").mkdir(exist_ok=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    with postgres_schema(args.postgres) as postgres:
        plan = Plan(
            window_s=10.0 if args.quick else 20.0,
            start=args.start,
            maximum=args.max,
            bisections=0 if args.quick else 2,
            workers=args.workers,
            postgres=postgres,
            generator=args.generator,
        )
        results = {mode: measure(mode, plan) for mode in args.modes.split(",")}
    report(results)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


@contextlib.contextmanager
def postgres_schema(url: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL schema for the run (dropped afterwards), or None for SQLite."""
    if url is None:
        yield None
        return
    from sqlalchemy import create_engine, text  # noqa: PLC0415 - only with --postgres
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - only with --postgres

    parsed = make_url(url).set(drivername="postgresql+psycopg")
    schema = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    engine = create_engine(parsed)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


if __name__ == "__main__":
    main()
