"""Where one waveform upload spends the server's CPU: a per-component breakdown of the ingest path.

Runs the use case an upload runs (``auth.service.authenticate`` and
``monitoring.service.add_waveform`` in one unit of work, as ``POST …/waveform`` does) in process,
chunk after chunk (12 leads, 500 Hz, 5 s) of one session, first plainly to get CPU milliseconds
per chunk, then under ``cProfile`` with a CPU clock (``time.process_time``: time stolen by other
processes on a shared machine is not counted) to split that time into components. The HTTP
layer (uvicorn, routing, dependencies, thread hops) comes on top: ``bench_ingest.py`` measures
the whole server.

Run: ``python benchmarks/ingest_profile.py [--body json] [--chunks 300] [--postgres URL]``
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from clarity.auth import registration
from clarity.auth import service as auth_service
from clarity.auth.schemas import RegisterRequest
from clarity.config import Settings
from clarity.db.engine import unit_of_work
from clarity.db.migrate import upgrade
from clarity.monitoring import service
from clarity.monitoring.schemas import SessionStart, WaveformUpload
from clarity.runtime import Runtime, build_runtime
from clarity.simulate import signals
from clarity.simulate.uplink import ChunkEncoder

# component -> (file suffix, function) whose cumulative CPU time it is
COMPONENTS: dict[str, list[tuple[str, str]]] = {
    "JSON body parse + validate (pydantic)": [("main.py", "model_validate_json")],
    "auth (principal cache, or JWT + auth-session query)": [("auth/service.py", "authenticate")],
    "upload target (per-process cache, or recording query)": [("monitoring/access.py", "upload_target")],
    "decode + check samples": [("waveforms.py", "frame_from_binary"), ("waveforms.py", "frame_from_json")],
    "frame encode + SHA-256": [("frames.py", "encode"), ("storage/keys.py", "sha256_hex")],
    "idempotency INSERT (on conflict: replay)": [("monitoring/repository.py", "insert_idempotency")],
    "chunk INSERT (on conflict: duplicate)": [("monitoring/repository.py", "insert_chunk")],
    "recording UPDATE (active + order check)": [("monitoring/repository.py", "advance_recording")],
    "overlap query (out-of-order chunks only)": [("waveforms.py", "_check_no_overlap")],
    "zlib compression": [("frames.py", "compress")],
    "blob write (local file)": [("storage/local.py", "put")],
    "live notice + preview (watched recordings only)": [("notices.py", "chunk_notice")],
    "commit": [("db/engine.py", "unit_of_work")],
}  # fmt: skip


def setup(database_url: str, data_dir: Path) -> tuple[Runtime, str, str]:
    """A migrated database, a registered device user and a started session (analysis off)."""
    upgrade(database_url)
    settings = Settings(
        environment="test",
        secret_key=SecretStr("profile-secret-key-long-enough-for-hs256"),
        database_url=database_url,
        data_dir=data_dir,
        demo_data=False,
        login_rate_limit="100000/60",
        _env_file=None,
    )
    runtime = build_runtime(settings)
    runtime.listeners.clear()
    serial = f"PROFILE-{uuid.uuid4().hex[:8]}"
    with unit_of_work(runtime.session_factory) as db:
        body = RegisterRequest(
            full_name="Profile",
            password="profile-password",  # noqa: S106 - a throw-away account in a temporary database
            device_serial=serial,
        )
        token = registration.register(db, settings, runtime.rate_limiter, body).token
    with unit_of_work(runtime.session_factory) as db:
        principal = auth_service.authenticate_token(db, settings, token)
        service.start_session(db, principal, SessionStart(session_id=serial))
    return runtime, token, serial


def uploader(
    runtime: Runtime, token: str, session_id: str, body: str, n: int
) -> Callable[[int], None]:
    """``send(k)`` stores chunk ``k`` of ``n`` pre-encoded chunks, as the endpoint would."""
    encoder = ChunkEncoder("json" if body == "json" else "binary", 500.0, signals.lead_names(12))
    tape = signals.Tape(signals.synthetic_tapes(500.0, 12, seed=0, count=1)[0])
    bodies = [
        encoder.encode(tape.read(2500), k * 2500, 1_700_000_000_000 + k * 5000)[0] for k in range(n)
    ]

    def send(k: int) -> None:
        with unit_of_work(runtime.session_factory) as db:
            principal = auth_service.authenticate(
                db, runtime.settings, runtime.principals, "token", token
            )
            data = WaveformUpload.model_validate_json(bodies[k]) if body == "json" else bodies[k]
            service.add_waveform(db, runtime, principal, session_id, data, f"chunk-{k}")

    return send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--body", choices=("binary", "json"), default="binary")
    parser.add_argument("--chunks", type=int, default=300)
    parser.add_argument("--postgres", help="PostgreSQL URL (a fresh schema is used)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ingest_profile_") as tmp:
        url = _postgres(args.postgres) if args.postgres else f"sqlite:///{Path(tmp) / 'c.db'}"
        runtime, token, session_id = setup(url, Path(tmp))
        half, n = args.chunks // 2, args.chunks + 10
        send = uploader(runtime, token, session_id, args.body, n)
        for k in range(10):  # warm-up: statement caches, imports
            send(k)
        started = time.process_time()
        for k in range(10, 10 + half):
            send(k)
        plain_ms = (time.process_time() - started) / half * 1000
        profile = cProfile.Profile(time.process_time)
        profile.runcall(lambda: [send(k) for k in range(10 + half, n)])
        runtime.close()
    report(args.body, url, plain_ms, pstats.Stats(profile))


def report(body: str, url: str, plain_ms: float, stats: pstats.Stats) -> None:
    entries = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table here
    total = sum(v[3] for k, v in entries.items() if k[2] == "send")

    def cumulative(suffix: str, name: str) -> float:
        return sum(
            float(v[3]) for k, v in entries.items() if k[0].endswith(suffix) and k[2] == name
        )

    print(
        f"{body} body, {url.split(':', maxsplit=1)[0]}: {plain_ms:.1f} ms CPU per chunk (unprofiled)"
    )
    covered = 0.0
    for label, keys in COMPONENTS.items():
        share = sum(cumulative(*key) for key in keys) / total
        covered += share
        if share >= 0.001:
            print(f"  {share * 100:5.1f}%  {label}")
    print(f"  {(1 - covered) * 100:5.1f}%  the rest (sessions, ORM bookkeeping)")


def _postgres(url: str) -> str:
    from sqlalchemy import create_engine, text  # noqa: PLC0415 - only with --postgres
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - only with --postgres

    parsed = make_url(url).set(drivername="postgresql+psycopg")
    schema = f"ingest_profile_{uuid.uuid4().hex[:8]}"
    engine = create_engine(parsed)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


if __name__ == "__main__":
    main()
