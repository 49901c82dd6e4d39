"""The process-wide resources built from settings: database, blob store, rate limiter, Redis.

The HTTP app (``clarity.main``), the worker and the CLI all build one ``Runtime`` the same way,
so the embedded and scaled-out modes differ only in settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from clarity.auth.cache import PrincipalCache
from clarity.auth.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from clarity.config import Settings
from clarity.db.engine import SessionFactory, make_engine, make_session_factory
from clarity.jobs import JobQueue, analysis_listener, make_job_queue
from clarity.jobs.base import DiscardQueue
from clarity.monitoring.live import InProcessHub, LiveHub
from clarity.monitoring.targets import TargetCache
from clarity.storage import BlobStore, make_blob_store

log = logging.getLogger(__name__)
RecordingListener = Callable[[str, str], None]
"""Called with (recording id, what changed: "waveform" | "end") after the change is committed."""


@dataclass
class Runtime:
    """Everything long-lived a request or a job needs."""

    settings: Settings
    engine: Engine
    session_factory: SessionFactory
    blob_store: BlobStore
    rate_limiter: RateLimiter
    redis: Any | None = None
    live: LiveHub = field(default_factory=InProcessHub)
    extras: dict[str, Any] = field(default_factory=dict)
    listeners: list[RecordingListener] = field(default_factory=list)
    jobs: JobQueue = field(default_factory=DiscardQueue)
    principals: PrincipalCache = field(default_factory=lambda: PrincipalCache(0.0))
    """Verified credentials, for up to ``settings.auth_cache_seconds`` (``clarity.auth.cache``)."""
    upload_targets: TargetCache = field(default_factory=TargetCache)
    """The recordings uploads go to, per owner (``clarity.monitoring.targets``)."""

    def notify(self, recording_id: str, what: str) -> None:
        """Tell every listener (analysis jobs, live streams) that a recording changed."""
        for listener in self.listeners:
            try:
                listener(recording_id, what)
            except Exception:  # one broken listener must not silence the others
                log.exception("recording listener failed for %s", recording_id)

    def close(self) -> None:
        self.jobs.close()  # first: running jobs still use the engine and the stores
        self.live.close()
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def connect_redis(url: str) -> Any:
    """A Redis client for ``url`` (needs the ``[worker]`` extra)."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "CLARITY_REDIS_URL is set but redis-py is missing: pip install 'clarity[worker]'"
        ) from exc
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def make_live_hub(settings: Settings) -> LiveHub:
    """Live fan-out through Redis when ``redis_url`` is set (several processes), else in process."""
    if not settings.redis_url:
        return InProcessHub()
    from clarity.monitoring.live_redis import RedisHub

    return RedisHub.from_url(settings.redis_url)


def build_runtime(settings: Settings, *, blob_store: BlobStore | None = None) -> Runtime:
    """Open the engine and the stores that ``settings`` name."""
    engine = make_engine(settings.resolved_database_url)
    store = blob_store or make_blob_store(
        settings.blob_store,
        root=settings.resolved_blob_dir,
        bucket=settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=(
            settings.s3_secret_access_key.get_secret_value()
            if settings.s3_secret_access_key
            else None
        ),
    )
    redis_client = connect_redis(settings.redis_url) if settings.redis_url else None
    limiter: RateLimiter = RedisRateLimiter(redis_client) if redis_client else MemoryRateLimiter()
    runtime = Runtime(settings, engine, make_session_factory(engine), store, limiter, redis_client)
    runtime.live = make_live_hub(settings)
    runtime.principals = PrincipalCache(settings.auth_cache_seconds)
    runtime.principals.watch(runtime.session_factory)
    runtime.jobs = make_job_queue(settings, runtime)
    runtime.listeners.append(analysis_listener(runtime))
    return runtime
