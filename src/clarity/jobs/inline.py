"""The embedded job queue: a bounded thread pool inside the server process.

Jobs with the same ``dedupe_key`` never run at the same time: a request that arrives while one
runs is remembered and run once it ends, and any number of requests while one waits in the queue
are covered by it. Failed attempts are retried with backoff in the same worker thread.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from clarity.jobs.base import RetryPolicy
from clarity.jobs.registry import run_job

if TYPE_CHECKING:
    from clarity.runtime import Runtime

log = logging.getLogger(__name__)
_Job = tuple[str, dict[str, Any]]


class InlineQueue:
    """Run jobs on ``workers`` threads of this process; at most ``max_jobs`` queued or running."""

    def __init__(
        self,
        runtime: Runtime,
        workers: int,
        *,
        retry: RetryPolicy | None = None,
        max_jobs: int = 10_000,
    ) -> None:
        self._runtime = runtime
        self._retry = retry or RetryPolicy(max_attempts=4, backoff_s=0.5, max_backoff_s=10.0)
        self._max_jobs = max_jobs
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clarity-job")
        self._idle = threading.Condition()
        self._queued: set[str] = set()
        self._running: set[str] = set()
        self._again: dict[str, _Job] = {}
        self._active = 0
        self._closed = threading.Event()

    def enqueue(self, name: str, /, *, dedupe_key: str | None = None, **kwargs: Any) -> bool:
        with self._idle:
            if self._closed.is_set():
                log.warning("job %s not queued: the queue is closed", name)
                return False
            if dedupe_key is not None and dedupe_key in self._queued:
                return False
            if dedupe_key is not None and dedupe_key in self._running:
                if dedupe_key in self._again:
                    return False
                self._again[dedupe_key] = (name, kwargs)
                return True
            if self._active >= self._max_jobs:
                log.error("job %s dropped: %d jobs already queued", name, self._active)
                return False
            self._submit(name, dedupe_key, kwargs)
        return True

    def _submit(self, name: str, key: str | None, kwargs: dict[str, Any]) -> None:
        """Queue one run (the caller holds the lock)."""
        if key is not None:
            self._queued.add(key)
        self._active += 1
        self._pool.submit(self._run, name, key, kwargs)

    def _run(self, name: str, key: str | None, kwargs: dict[str, Any]) -> None:
        with self._idle:
            if key is not None:
                self._queued.discard(key)
                self._running.add(key)
        try:
            self._attempt_until_done(name, kwargs)
        finally:
            with self._idle:
                self._active -= 1
                if key is not None:
                    self._running.discard(key)
                    again = self._again.pop(key, None)
                    if again is not None and not self._closed.is_set():
                        self._submit(again[0], key, again[1])
                self._idle.notify_all()

    def _attempt_until_done(self, name: str, kwargs: dict[str, Any]) -> None:
        retries = 0
        while True:
            try:
                run_job(self._runtime, name, kwargs)
                return
            except Exception as exc:
                if not self._retry.should_retry(exc, retries) or self._closed.is_set():
                    log.exception("job %s failed after %d attempt(s)", name, retries + 1)
                    return
                delay = self._retry.delay_s(retries)
                log.warning("job %s failed (%s); retry in %.1f s", name, exc, delay)
                retries += 1
                if self._closed.wait(delay):
                    return

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until no job is queued or running (tests, command-line runs); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout=timeout_s)

    @property
    def closing(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        with self._idle:
            self._closed.set()
            self._again.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._idle:  # cancelled runs never started: nothing is active any more
            self._active = 0
            self._idle.notify_all()
