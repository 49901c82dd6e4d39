"""What every job queue offers, and when a failed job is tried again."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Protocol

from clarity.errors import ClarityError, ServiceUnavailable


class JobQueue(Protocol):
    """Runs named jobs (see ``clarity.jobs.registry``) outside the request that asked for them."""

    def enqueue(self, name: str, /, *, dedupe_key: str | None = None, **kwargs: Any) -> bool:
        """Queue job ``name`` with JSON-able ``kwargs``.

        With ``dedupe_key``, a job with the same key that is queued and has not started yet
        covers this request too (nothing new is queued; returns False). A job that has already
        started does not: work it may have missed gets a run of its own.
        """
        ...

    def close(self) -> None:
        """Stop taking jobs; let running ones finish."""
        ...

    @property
    def closing(self) -> bool:
        """True once ``close`` was called: long jobs stop at their next safe point."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt k waits ``backoff_s * 2**k`` (at most ``max_backoff_s``)."""

    max_attempts: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0

    def delay_s(self, retries_done: int) -> float:
        base = min(self.max_backoff_s, self.backoff_s * 2.0**retries_done)
        return base * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not a secret

    def should_retry(self, exc: BaseException, retries_done: int) -> bool:
        """Transient failures are retried; a typed error (no such recording...) never heals."""
        permanent = isinstance(exc, ClarityError) and not isinstance(exc, ServiceUnavailable)
        return not permanent and retries_done + 1 < self.max_attempts


class DiscardQueue:
    """A queue that runs nothing (a runtime assembled by hand, without ``build_runtime``)."""

    def enqueue(self, name: str, /, *, dedupe_key: str | None = None, **kwargs: Any) -> bool:
        return False

    def close(self) -> None:
        return None

    @property
    def closing(self) -> bool:
        return False
