"""The application: ``create_app(settings)`` wires the runtime, middleware, errors and routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from clarity import __version__
from clarity.api import downloads, system
from clarity.api.errors import install_error_handlers
from clarity.api.metrics import HttpMetrics
from clarity.api.middleware import RequestMiddleware
from clarity.auth import endpoints as auth
from clarity.config import Settings, get_settings
from clarity.ecg import endpoints as ecg
from clarity.interop import endpoints as interop
from clarity.kit.logs import configure_logging
from clarity.monitoring import alerts_endpoints
from clarity.monitoring import endpoints as monitoring
from clarity.monitoring import stream as live_stream
from clarity.monitoring.analysis import resume_unfinished
from clarity.patients import endpoints as patients
from clarity.reports import endpoints as reports
from clarity.runtime import Runtime, build_runtime

DESCRIPTION = """\
Open healthcare-AI backend, ECG first: device ingest, ECG analysis, patients and reports.

Sign in with `POST /api/v1/auth/login` (or the **Authorize** button, OAuth2 password flow) and send
`Authorization: Bearer <token>`, or send a device/integration key as `X-API-Key`.
Every error answers `{detail, status_code, timestamp, request_id}`.
"""


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The ASGI app. ``runtime`` (tests) replaces the resources built from ``settings``."""
    settings = runtime.settings if runtime else settings or get_settings()
    configure_logging(settings.log_level, json_lines=settings.json_logs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        app.state.runtime = runtime or build_runtime(settings)
        resume_unfinished(app.state.runtime)
        # what start-up made (modules, models, the app) lives as long as the process: keep it
        # out of the cyclic garbage collector's full scans, which every request would pay for
        gc.freeze()
        try:
            yield
        finally:
            if owned:
                app.state.runtime.close()

    app = FastAPI(title="Clarity", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    if runtime is not None:
        app.state.runtime = (
            runtime  # usable without entering the lifespan (TestClient without with)
        )
    app.state.http_metrics = HttpMetrics()
    install_error_handlers(app)
    _include_routers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(
        RequestMiddleware, metrics=app.state.http_metrics, max_body_bytes=settings.max_body_bytes
    )
    return app


def _include_routers(app: FastAPI) -> None:
    # routes are tried in order: the device protocol, whose uploads are most of the requests,
    # first (no path of another router overlaps one of it)
    for module in (monitoring, system, auth, patients, ecg, reports, interop, downloads):
        app.include_router(module.router)
    app.include_router(live_stream.router)
    app.include_router(alerts_endpoints.router)
