"""The in-process job queue: runs named jobs, coalesces by key, retries transient failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from clarity.config import Settings
from clarity.errors import NotFound
from clarity.jobs import ANALYZE_RECORDING, InlineQueue, RetryPolicy, UnknownJob, job, run_job
from clarity.runtime import Runtime

CALLS: list[tuple[str, dict[str, Any]]] = []
GATE = threading.Event()
FAILURES: dict[str, int] = {}


@job("test.inline.record")
def _record(runtime: Runtime, **kwargs: Any) -> None:
    CALLS.append(("record", kwargs))


@job("test.inline.gated")
def _gated(runtime: Runtime, **kwargs: Any) -> None:
    CALLS.append(("gated", kwargs))
    assert GATE.wait(10)


@job("test.inline.flaky")
def _flaky(runtime: Runtime, key: str, failures: int) -> None:
    CALLS.append(("flaky", {"key": key}))
    if FAILURES.get(key, 0) < failures:
        FAILURES[key] = FAILURES.get(key, 0) + 1
        raise ConnectionError("database went away")


@job("test.inline.missing")
def _missing(runtime: Runtime) -> None:
    CALLS.append(("missing", {}))
    raise NotFound("recording not found")


@pytest.fixture
def queue(runtime: Runtime) -> Iterator[InlineQueue]:
    CALLS.clear()
    FAILURES.clear()
    GATE.clear()
    fast = RetryPolicy(max_attempts=3, backoff_s=0.01, max_backoff_s=0.02)
    q = InlineQueue(runtime, 2, retry=fast)
    yield q
    GATE.set()
    q.close()


def test_runtime_has_the_inline_queue_by_default(runtime: Runtime, settings: Settings) -> None:
    assert settings.job_backend == "inline"
    assert isinstance(runtime.jobs, InlineQueue)


def test_jobs_run_with_their_arguments(queue: InlineQueue) -> None:
    assert queue.enqueue("test.inline.record", recording_id="rec_1", n=3)
    assert queue.wait_idle(10)
    assert CALLS == [("record", {"recording_id": "rec_1", "n": 3})]


def test_queued_job_covers_later_requests_with_its_key(queue: InlineQueue) -> None:
    queue.enqueue("test.inline.gated", dedupe_key="a", n=0)  # running, held at the gate
    while not CALLS:
        threading.Event().wait(0.01)
    accepted = [queue.enqueue("test.inline.gated", dedupe_key="a", n=k) for k in range(1, 6)]
    assert accepted[0] and not any(accepted[1:])  # one rerun remembered, the rest coalesced
    GATE.set()
    assert queue.wait_idle(10)
    assert [kwargs["n"] for _, kwargs in CALLS] == [0, 1]


def test_keys_never_run_concurrently_but_other_keys_do(queue: InlineQueue) -> None:
    queue.enqueue("test.inline.gated", dedupe_key="a", n=1)
    queue.enqueue("test.inline.gated", dedupe_key="b", n=2)
    while len(CALLS) < 2:
        threading.Event().wait(0.01)
    GATE.set()
    assert queue.wait_idle(10)
    assert sorted(kwargs["n"] for _, kwargs in CALLS) == [1, 2]


def test_transient_failures_are_retried_with_backoff(queue: InlineQueue) -> None:
    queue.enqueue("test.inline.flaky", key="x", failures=2)
    assert queue.wait_idle(10)
    assert len(CALLS) == 3
    CALLS.clear()
    queue.enqueue("test.inline.flaky", key="y", failures=5)  # more than the 3 attempts
    assert queue.wait_idle(10)
    assert len(CALLS) == 3


def test_typed_errors_are_not_retried(queue: InlineQueue) -> None:
    queue.enqueue("test.inline.missing")
    assert queue.wait_idle(10)
    assert CALLS == [("missing", {})]


def test_closed_queue_takes_nothing(queue: InlineQueue) -> None:
    queue.close()
    assert not queue.enqueue("test.inline.record")
    assert CALLS == []


def test_unknown_job_names_are_refused(runtime: Runtime) -> None:
    with pytest.raises(UnknownJob):
        run_job(runtime, "no.such.job", {})


def test_waveform_and_end_notifications_queue_one_analysis_each(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, str | None, dict[str, Any]]] = []

    def fake_enqueue(name: str, /, *, dedupe_key: str | None = None, **kwargs: Any) -> bool:
        queued.append((name, dedupe_key, kwargs))
        return True

    monkeypatch.setattr(runtime.jobs, "enqueue", fake_enqueue)
    runtime.notify("rec_1", "waveform")
    runtime.notify("rec_1", "end")
    runtime.notify("rec_1", "metrics")
    expected = (ANALYZE_RECORDING, "analysis:rec_1", {"recording_id": "rec_1"})
    assert queued == [expected, expected]
