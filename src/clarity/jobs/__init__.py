"""Background jobs: ``runtime.jobs.enqueue(name, **kwargs)`` on an in-process thread pool or Celery.

``CLARITY_JOB_BACKEND`` chooses: ``inline`` (default; ``CLARITY_JOB_WORKERS`` threads in the server)
or ``celery`` (``clarity worker`` processes; broker ``CLARITY_CELERY_BROKER_URL``, default
``CLARITY_REDIS_URL``). Job entry points (``@job``) open their own unit of work from the runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clarity.config import Settings
from clarity.jobs.base import JobQueue, RetryPolicy
from clarity.jobs.inline import InlineQueue
from clarity.jobs.registry import UnknownJob, job, resolve, run_job

if TYPE_CHECKING:
    from clarity.runtime import RecordingListener, Runtime

ANALYZE_RECORDING = "monitoring.analyze_recording"

__all__ = [
    "ANALYZE_RECORDING",
    "InlineQueue",
    "JobQueue",
    "RetryPolicy",
    "UnknownJob",
    "analysis_listener",
    "enqueue",
    "enqueue_analysis",
    "job",
    "make_job_queue",
    "resolve",
    "run_job",
]


def make_job_queue(settings: Settings, runtime: Runtime) -> JobQueue:
    """The queue ``settings`` choose; jobs it runs in this process use ``runtime``."""
    if settings.job_backend == "celery":
        from clarity.jobs.celery_queue import (  # noqa: PLC0415 - celery is the optional [worker] extra
            CeleryQueue,
            make_celery_app,
        )

        app = make_celery_app(settings, lambda: runtime)
        return CeleryQueue(app, runtime.redis, settings.job_queue)
    return InlineQueue(runtime, settings.job_workers)


def enqueue(
    runtime: Runtime, name: str, /, *, dedupe_key: str | None = None, **kwargs: Any
) -> bool:
    """Queue job ``name`` on the runtime's queue (see ``JobQueue.enqueue``)."""
    return runtime.jobs.enqueue(name, dedupe_key=dedupe_key, **kwargs)


def analysis_listener(runtime: Runtime) -> RecordingListener:
    """A recording listener that queues (coalesced) analysis when samples arrive or a session ends."""

    def listen(recording_id: str, what: str) -> None:
        if what in ("waveform", "end"):
            enqueue_analysis(runtime, recording_id)

    return listen


def enqueue_analysis(runtime: Runtime, recording_id: str) -> bool:
    """Queue the analysis of a recording, unless one is queued and has not started yet."""
    return runtime.jobs.enqueue(
        ANALYZE_RECORDING, dedupe_key=f"analysis:{recording_id}", recording_id=recording_id
    )
