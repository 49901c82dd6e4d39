"""The scaled-out job queue: Celery on Redis (or RabbitMQ), run by ``clarity worker``.

Messages are acknowledged only after the job ends (``acks_late``), and given back to the broker
when a worker dies mid-job (on Redis: once the 15 min visibility timeout has passed), so a job is
never lost; a failed attempt is retried with exponential backoff. A job is killed after 10 min
(``task_time_limit``); jobs keep well below it (the analysis works in turns of 2 min). Jobs must
therefore be safe to run twice (the analysis job is: see
``clarity.monitoring.analysis``).

Coalescing needs Redis (``CLARITY_REDIS_URL``): a key ``clarity:jobs:<queue>:queued:<dedupe_key>``
is set when a job is queued and removed when it starts, so further requests meanwhile queue nothing.
The key expires on its own should a message be lost with it set.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from celery import Celery, Task

from clarity.config import Settings
from clarity.jobs.base import RetryPolicy
from clarity.jobs.registry import run_job

if TYPE_CHECKING:
    from clarity.runtime import Runtime

log = logging.getLogger(__name__)
TASK_NAME = "clarity.run_job"
QUEUED_KEY = "clarity:jobs:{queue}:queued:{key}"
QUEUED_TTL_S = 900
VISIBILITY_TIMEOUT_S = 900
TIME_LIMIT_S = 600
RuntimeProvider = Callable[[], "Runtime"]


def broker_url(settings: Settings) -> str:
    url = settings.celery_broker_url or settings.redis_url
    if not url:
        raise ValueError(
            "CLARITY_JOB_BACKEND=celery needs CLARITY_CELERY_BROKER_URL or CLARITY_REDIS_URL"
        )
    return url


def make_celery_app(
    settings: Settings, runtime: RuntimeProvider, *, retry: RetryPolicy | None = None
) -> Celery:
    """A Celery app whose one task runs any registered job with the runtime ``runtime()`` gives."""
    app = Celery("clarity", broker=broker_url(settings), set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=settings.job_queue,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        task_time_limit=TIME_LIMIT_S,
        worker_hijack_root_logger=False,
    )
    _register_task(app, runtime, retry or RetryPolicy())
    return app


def _register_task(app: Celery, runtime: RuntimeProvider, retry: RetryPolicy) -> None:
    @app.task(name=TASK_NAME, bind=True, shared=False, max_retries=retry.max_attempts - 1)  # type: ignore[untyped-decorator]  # celery is untyped
    def run(task: Task, name: str, kwargs: dict[str, Any], marker: str | None = None) -> None:
        current = runtime()
        if marker is not None and current.redis is not None:
            current.redis.delete(marker)
        retries = int(task.request.retries or 0)
        try:
            run_job(current, name, kwargs)
        except Exception as exc:
            if not retry.should_retry(exc, retries):
                log.exception("job %s failed after %d attempt(s)", name, retries + 1)
                return
            raise task.retry(exc=exc, countdown=retry.delay_s(retries)) from exc


class CeleryQueue:
    """Send jobs to Celery workers; coalesce through ``redis`` when there is one."""

    def __init__(self, app: Celery, redis: Any | None, queue: str) -> None:
        self.app = app
        self._redis = redis
        self._queue = queue

    def enqueue(self, name: str, /, *, dedupe_key: str | None = None, **kwargs: Any) -> bool:
        marker = None
        if dedupe_key is not None and self._redis is not None:
            marker = QUEUED_KEY.format(queue=self._queue, key=dedupe_key)
            if not self._redis.set(marker, b"1", nx=True, ex=QUEUED_TTL_S):
                return False
        try:
            self.app.send_task(TASK_NAME, args=[name, kwargs, marker], queue=self._queue)
        except Exception:
            if marker is not None and self._redis is not None:
                self._redis.delete(marker)
            raise
        return True

    @property
    def closing(self) -> bool:
        return False  # a worker's warm shutdown waits for the job; a cold one redelivers it

    def close(self) -> None:
        self.app.close()


class ProcessRuntime:
    """A runtime built from settings on first use in each process (prefork workers fork first)."""

    def __init__(self, build: Callable[[], Runtime]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._runtime: Runtime | None = None

    def __call__(self) -> Runtime:
        with self._lock:
            if self._runtime is None or self._pid != os.getpid():
                self._runtime, self._pid = self._build(), os.getpid()
            return self._runtime


def run_worker(settings: Settings, *, concurrency: int, pool: str, loglevel: str) -> None:
    """Consume the job queue until stopped (``clarity worker``); each process builds its runtime."""
    from clarity.runtime import build_runtime  # noqa: PLC0415 - runtime imports this package

    app = make_celery_app(settings, ProcessRuntime(lambda: build_runtime(settings)))
    app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            f"--queues={settings.job_queue}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
