"""The ``clarity`` command: serve, db, users, api-keys (and, as they land, analyze, simulate...)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer
from sqlalchemy.orm import Session

from clarity.config import get_settings

app = typer.Typer(help="Clarity: open healthcare-AI backend, ECG first.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for devices and integrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="api-keys")


@contextmanager
def _session() -> Iterator[Session]:
    from clarity.db.engine import make_engine, make_session_factory, unit_of_work

    engine = make_engine(get_settings().resolved_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    migrate: Annotated[bool, typer.Option(help="Upgrade the database schema first.")] = True,
    keep_alive: Annotated[
        int,
        typer.Option(
            min=1,
            help="Seconds an idle connection stays open. Devices upload every few seconds: keep "
            "it above twice their period, or most uploads pay for a new connection.",
        ),
    ] = 30,
) -> None:
    """Start the HTTP server (SQLite, local files and bundled models unless configured otherwise)."""
    import uvicorn

    settings = get_settings()
    if migrate:
        db_upgrade()
    if settings.demo_data and settings.environment != "production":
        _seed_demo()
    typer.echo(f"Clarity on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "clarity.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        log_config=None,
        access_log=False,
        timeout_keep_alive=keep_alive,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Worker processes; default CLARITY_JOB_WORKERS.")
    ] = None,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork, threads or solo.")] = "prefork",
    loglevel: Annotated[str, typer.Option(help="Log level of the worker.")] = "INFO",
) -> None:
    """Run background jobs (recording analysis) from the Celery queue: CLARITY_JOB_BACKEND=celery."""
    settings = get_settings()
    if settings.job_backend != "celery":
        raise typer.BadParameter(
            "set CLARITY_JOB_BACKEND=celery (and CLARITY_REDIS_URL or CLARITY_CELERY_BROKER_URL): "
            "with the inline backend the server runs its jobs itself"
        )
    from clarity.jobs.celery_queue import run_worker

    run_worker(
        settings, concurrency=concurrency or settings.job_workers, pool=pool, loglevel=loglevel
    )


def _seed_demo() -> None:
    from clarity.db.engine import unit_of_work
    from clarity.demo import seed_demo
    from clarity.runtime import build_runtime

    runtime = build_runtime(get_settings())
    try:
        with unit_of_work(runtime.session_factory) as db:
            accounts = seed_demo(db, runtime)
    finally:
        runtime.close()
    for account in accounts:
        typer.echo(f"demo {account.role}: {account.identifier} / {account.password}")


@app.command()
def analyze(
    path: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="WFDB .hea or zip, EDF, DICOM, CSV, JSON"),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full analysis as JSON.")
    ] = False,
    fs: Annotated[
        float | None, typer.Option(help="Sampling rate (Hz) for files that lack it.")
    ] = None,
    sex: Annotated[
        str | None, typer.Option(help="male or female, for sex-specific limits.")
    ] = None,
    age: Annotated[float | None, typer.Option(help="Age in years.")] = None,
) -> None:
    """Measure and interpret an ECG file: quality, intervals, axes, HRV and statements."""
    from clarity.ecg import service
    from clarity.ecg.formats import read_waveform
    from clarity.ecg.text import format_analysis
    from clarity.errors import ClarityError

    try:
        waveform = read_waveform(path, fs=fs)
        result = service.analyze_waveform(waveform, sex=_sex(sex), age=age)
    except ClarityError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        result.model_dump_json(indent=2) if as_json else format_analysis(result, title=str(path))
    )


def _sex(value: str | None) -> Literal["male", "female"] | None:
    if value is None:
        return None
    if value.lower() not in ("male", "female"):
        raise typer.BadParameter("sex is male or female")
    return "male" if value.lower() == "male" else "female"


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from clarity.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at {revision}: {_safe_url(settings.resolved_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@users_app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="Login e-mail.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters."
        ),
    ],
    full_name: Annotated[str, typer.Option(help="Display name.")] = "Administrator",
    username: Annotated[str | None, typer.Option(help="Optional login name.")] = None,
) -> None:
    """Create an administrator account."""
    from clarity.auth import service
    from clarity.auth.schemas import UserCreate

    data = UserCreate(
        full_name=full_name, password=password, role="admin", email=email, username=username
    )
    with _session() as db:
        user = service.create_user(db, service.NewUser(**data.model_dump()))
    typer.echo(f"admin created: {user.id} ({email})")


@keys_app.command("create")
def create_key(
    user: Annotated[str, typer.Option(help="Owner: e-mail, phone, device serial or username.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    role: Annotated[
        str | None, typer.Option(help="patient, clinician or admin (≤ owner's).")
    ] = None,
    expires_days: Annotated[int | None, typer.Option(min=1, help="Days until it expires.")] = None,
) -> None:
    """Create an API key and print it once."""
    from clarity.auth import accounts, service
    from clarity.auth.principal import Principal
    from clarity.auth.schemas import ApiKeyCreate

    body = ApiKeyCreate.model_validate(
        {"name": name, "role": role, "expires_in_days": expires_days}
    )
    with _session() as db:
        owner = service.find_user_by_login_or_404(db, user)
        created = accounts.create_api_key(
            db,
            Principal(owner.id, "admin", "token", "cli"),
            body.model_copy(update={"user_id": owner.id}),
        )
    typer.echo(
        f"{created.id}  role={created.role}\n{created.key}\n(store it now: it is not shown again)"
    )


@keys_app.command("list")
def list_keys(
    user: Annotated[str | None, typer.Option(help="Only this owner's keys.")] = None,
) -> None:
    """List API keys (never their secrets)."""
    from clarity.auth import repository, service

    with _session() as db:
        owner_id = service.find_user_by_login_or_404(db, user).id if user else None
        for key in repository.list_api_keys(db, user_id=owner_id):
            state = "revoked" if key.revoked_at else "active"
            typer.echo(
                f"{key.id}  {key.prefix}  {key.role:9}  {state:7}  {key.user_id}  {key.name}"
            )


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key's id (key_...).")]) -> None:
    """Revoke an API key at once."""
    from clarity.auth import service

    with _session() as db:
        service.revoke_api_key(db, key_id, by=None)
    typer.echo(f"revoked {key_id}")


if __name__ == "__main__":
    app()


@app.command()
def simulate(
    devices: Annotated[int, typer.Option(min=1, help="Virtual devices streaming at once.")] = 10,
    fs: Annotated[float, typer.Option(min=80, help="Sampling rate sent, Hz.")] = 500.0,
    leads: Annotated[int, typer.Option(min=1, max=12, help="Leads per device.")] = 12,
    duration: Annotated[float, typer.Option(min=0.01, help="Seconds of ECG per device.")] = 30.0,
    chunk_seconds: Annotated[float, typer.Option(min=0.01, help="Seconds per upload.")] = 5.0,
    source: Annotated[
        Path | None, typer.Option(help="Folder of WFDB records (e.g. MIT-BIH); else synthetic.")
    ] = None,
    body: Annotated[str, typer.Option(help="Chunk body: binary or json.")] = "binary",
    transport: Annotated[
        str, typer.Option(help="http (POST, a kept-alive connection per device), httpx or ws.")
    ] = "http",
    realtime: Annotated[bool, typer.Option(help="One chunk per chunk period, or flat out.")] = True,
    url: Annotated[str, typer.Option(help="API root.")] = "http://127.0.0.1:8000/api/v1",
    api_key: Annotated[
        str | None, typer.Option(envvar="CLARITY_API_KEY", help="Device key; else register.")
    ] = None,
    accounts: Annotated[int, typer.Option(min=1, help="Accounts to register (no key).")] = 1,
    verify: Annotated[int, typer.Option(min=0, help="Sessions to read back bit-exact.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic signals and phases.")] = 0,
) -> None:
    """Stream ECG from N virtual devices to a running server and report what it stored."""
    import httpx

    from clarity.simulate import SimulationConfig, run_simulation
    from clarity.simulate.uplink import SimulationError

    if body not in ("binary", "json") or transport not in ("http", "httpx", "ws"):
        raise typer.BadParameter("--body is binary or json; --transport is http, httpx or ws")
    config = SimulationConfig(
        url=url, devices=devices, fs=fs, leads=leads, duration_s=duration,
        chunk_s=chunk_seconds, source=source, body=body, transport=transport,  # type: ignore[arg-type]  # checked above
        realtime=realtime, api_key=api_key, accounts=accounts, verify=verify, seed=seed,
    )  # fmt: skip
    try:
        summary = run_simulation(config)
    except (SimulationError, OSError, httpx.TransportError) as exc:
        typer.echo(f"simulation failed: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(summary.render())
    if not summary.all_stored:
        raise typer.Exit(1)
