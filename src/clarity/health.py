"""Health of the dependencies a runtime holds: database, blob store, Redis, models."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from clarity import __version__
from clarity.db.engine import ping
from clarity.runtime import Runtime


def _probe(check: Callable[[], object]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_health(runtime: Runtime) -> dict[str, Any]:
    """``{"status": "ok"|"degraded", "version", "checks": {name: {...}}, "models": {...}}``."""
    checks: dict[str, dict[str, Any]] = {
        "database": _probe(lambda: ping(runtime.engine)),
        "blob_store": {**_probe(runtime.blob_store.check), "kind": runtime.blob_store.name},
    }
    if runtime.redis is not None:
        checks["redis"] = _probe(runtime.redis.ping)
    models: dict[str, Any] = {}
    registry = runtime.extras.get("model_registry")
    if registry is not None:
        models = registry.status()
    down = [name for name, c in checks.items() if c["status"] != "ok"]
    down += [name for name, m in models.items() if m.get("status") == "failed"]
    return {
        "status": "degraded" if down else "ok",
        "version": __version__,
        "checks": checks,
        "models": models,
        **({"down": down} if down else {}),
    }
