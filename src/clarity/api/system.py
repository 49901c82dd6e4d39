"""Service endpoints: what this is (``/``), whether it works (``/health``), how it runs (``/metrics``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from clarity import __version__
from clarity.api.deps import RuntimeDep
from clarity.health import check_health

router = APIRouter(tags=["service"])


@router.get("/")
def index(request: Request) -> dict[str, Any]:
    """Name, version and where to go next."""
    base = str(request.base_url).rstrip("/")
    return {
        "name": "Clarity",
        "description": "Open healthcare-AI backend, ECG first",
        "version": __version__,
        "links": {
            "docs": f"{base}/docs",
            "openapi": f"{base}/openapi.json",
            "health": f"{base}/health",
            "metrics": f"{base}/metrics",
            "api": f"{base}/api/v1",
        },
    }


@router.get("/health")
def health(runtime: RuntimeDep) -> JSONResponse:
    """Status of the database, the blob store and each model; 503 when a dependency is down."""
    report = check_health(runtime)
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text: request counts and latency histograms per route."""
    body = request.app.state.http_metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
