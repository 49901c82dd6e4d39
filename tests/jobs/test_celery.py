"""The Celery queue for real: the local Redis as broker, an embedded worker thread.

Each test uses a queue of its own, so parallel runs never take each other's messages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient

from clarity.config import Settings
from clarity.jobs import job
from clarity.jobs.celery_queue import QUEUED_KEY, CeleryQueue
from clarity.main import create_app
from clarity.runtime import Runtime, build_runtime
from clarity.storage import MemoryBlobStore
from tests.factories.accounts import register
from tests.factories.devices import start
from tests.factories.recordings import beat_train, ecg_counts, end, stream

REDIS_URL = "redis://127.0.0.1:6379/15"
RUNS: list[dict[str, Any]] = []
FAILURES: dict[str, int] = {}


@job("test.celery.record")
def _record(runtime: Runtime, token: str) -> None:
    RUNS.append({"token": token, "runtime": runtime})


@job("test.celery.flaky")
def _flaky(runtime: Runtime, token: str, failures: int) -> None:
    RUNS.append({"token": token})
    if FAILURES.get(token, 0) < failures:
        FAILURES[token] = FAILURES.get(token, 0) + 1
        raise ConnectionError("broker hiccup")


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")


@pytest.fixture
def celery_runtime(settings: Settings) -> Iterator[Runtime]:
    _redis_or_skip()
    RUNS.clear()
    FAILURES.clear()
    queue = f"clarity-test-{uuid.uuid4().hex[:10]}"
    scaled = settings.model_copy(
        update={"job_backend": "celery", "redis_url": REDIS_URL, "job_queue": queue}
    )
    runtime = build_runtime(scaled, blob_store=MemoryBlobStore())
    yield runtime
    assert runtime.redis is not None
    for key in runtime.redis.scan_iter(f"*{queue}*"):  # the queue and kombu's binding of it
        runtime.redis.delete(key)
    runtime.close()


def queue_of(runtime: Runtime) -> CeleryQueue:
    assert isinstance(runtime.jobs, CeleryQueue)
    return runtime.jobs


def wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.05)


def test_a_worker_runs_queued_jobs_with_its_runtime(celery_runtime: Runtime) -> None:
    queue = queue_of(celery_runtime)
    with start_worker(queue.app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        assert queue.enqueue("test.celery.record", token="a")
        wait_for(lambda: len(RUNS) == 1)
    assert RUNS[0]["token"] == "a" and RUNS[0]["runtime"] is celery_runtime


def test_requests_while_a_job_waits_in_the_broker_are_coalesced(celery_runtime: Runtime) -> None:
    queue = queue_of(celery_runtime)
    accepted = [
        queue.enqueue("test.celery.record", dedupe_key="k1", token=str(n)) for n in range(5)
    ]
    assert accepted == [True, False, False, False, False]
    marker = QUEUED_KEY.format(queue=celery_runtime.settings.job_queue, key="k1")
    assert celery_runtime.redis is not None and celery_runtime.redis.exists(marker)
    with start_worker(queue.app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        wait_for(lambda: len(RUNS) == 1)
        assert not celery_runtime.redis.exists(marker)  # cleared when the job started
        assert queue.enqueue("test.celery.record", dedupe_key="k1", token="later")
        wait_for(lambda: len(RUNS) == 2)
    assert [r["token"] for r in RUNS] == ["0", "later"]


def test_a_failing_job_is_retried_by_the_broker(celery_runtime: Runtime) -> None:
    queue = queue_of(celery_runtime)
    with start_worker(queue.app, pool="solo", perform_ping_check=False, loglevel="ERROR"):
        queue.enqueue("test.celery.flaky", token="f", failures=2)
        wait_for(lambda: len(RUNS) == 3, timeout_s=60)  # backoff: about 1 s, then 2 s
    assert FAILURES["f"] == 2


@pytest.mark.slow
def test_uploads_are_analysed_by_the_celery_worker(celery_runtime: Runtime) -> None:
    queue = queue_of(celery_runtime)
    with (
        TestClient(create_app(runtime=celery_runtime)) as client,
        start_worker(queue.app, pool="solo", perform_ping_check=False, loglevel="WARNING"),
    ):
        device = register(client)
        session_id = start(client, device)
        counts = ecg_counts(beat_train(40.0), 40.0, 250.0)
        stream(client, device, session_id, counts, fs=250.0)
        end(client, device, session_id)

        def summary() -> dict[str, Any] | None:
            data = client.get(f"/api/v1/sessions/{session_id}/data", headers=device.headers)
            value: dict[str, Any] | None = data.json()["server_summary"]
            return value if value and value["complete"] else None

        wait_for(lambda: summary() is not None, timeout_s=60)
        result = summary()
    assert result is not None and abs(result["total_heartbeats"] - len(beat_train(40.0))) <= 1


@pytest.mark.slow
def test_clarity_worker_command_analyses_what_the_server_queued(
    settings: Settings, tmp_path: Path
) -> None:
    """``clarity worker`` (prefork pool) in its own process, sharing only database, blobs, Redis."""
    _redis_or_skip()
    queue = f"clarity-test-{uuid.uuid4().hex[:10]}"
    update = {"job_backend": "celery", "redis_url": REDIS_URL, "job_queue": queue}
    scaled = settings.model_copy(update=update | {"blob_store": "local"})
    env = os.environ | {
        "CLARITY_JOB_BACKEND": "celery",
        "CLARITY_REDIS_URL": REDIS_URL,
        "CLARITY_JOB_QUEUE": queue,
        "CLARITY_DATABASE_URL": scaled.resolved_database_url,
        "CLARITY_DATA_DIR": str(tmp_path),
        "CLARITY_BLOB_STORE": "local",
        "CLARITY_SECRET_KEY": scaled.secret_key.get_secret_value(),
    }
    command = [
        sys.executable,
        "-m",
        "clarity.cli",
        "worker",
        "--concurrency",
        "1",
        "--loglevel",
        "WARNING",
    ]
    runtime = build_runtime(scaled)
    worker = subprocess.Popen(command, env=env, cwd=tmp_path)
    try:
        with TestClient(create_app(runtime=runtime)) as client:
            device = register(client)
            session_id = start(client, device)
            stream(client, device, session_id, ecg_counts(beat_train(30.0), 30.0, 250.0), fs=250.0)
            end(client, device, session_id)

            def complete() -> bool:
                data = client.get(f"/api/v1/sessions/{session_id}/data", headers=device.headers)
                summary = data.json()["server_summary"]
                return bool(summary and summary["complete"])

            wait_for(complete, timeout_s=120)
    finally:
        worker.terminate()
        worker.wait(30)
        assert runtime.redis is not None
        for key in runtime.redis.scan_iter(f"*{queue}*"):
            runtime.redis.delete(key)
        runtime.close()
