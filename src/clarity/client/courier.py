"""The courier: sends the outbox in order, backs off when offline, keeps answers for callers.

``submit`` queues an upload and (unless a background thread does the sending) tries to deliver
the queue at once; ``flush`` delivers everything waiting, stopping at the first transient
failure, because later uploads may depend on earlier ones (a session's chunks on its start).
Without an outbox there is no queue: an upload is sent once and a connection error raises
``OfflineError``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx

from clarity.client.delivery import Backoff, Credentials, Outcome, deliver
from clarity.client.outbox import NewUpload, Outbox, Upload

log = logging.getLogger(__name__)
_REMEMBERED_ANSWERS = 10_000


class ClientError(Exception):
    """Base of the errors the client raises."""


class OfflineError(ClientError):
    """The server could not be reached and there is no outbox to keep the upload in."""


@dataclass
class FlushReport:
    """What one ``flush`` did: delivered (of which replays), dead-lettered, still pending."""

    delivered: int = 0
    duplicates: int = 0
    dead: int = 0
    pending: int = 0
    blocked: str | None = None  # why it stopped before the queue was empty


class Courier:
    """Delivers uploads through ``http`` with ``auth``, queueing them in ``outbox`` when given."""

    def __init__(
        self,
        http: httpx.Client,
        auth: Credentials,
        outbox: Outbox | None,
        *,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.http, self.auth, self.outbox = http, auth, outbox
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.needs_login = False
        self._send_lock = threading.Lock()
        self._answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()

    def submit(self, upload: NewUpload) -> dict[str, Any]:
        """Deliver ``upload`` (through the outbox when there is one); its answer or its fate."""
        if self.outbox is None:
            return self._send_once(upload)
        queued = self.outbox.add(upload)
        if self._thread is not None:
            self._wake.set()
            return self._queued(queued, "sent in the background")
        report = self.flush(respect_backoff=True)
        with self._send_lock:
            answer = self._answers.pop(queued.key, None)
        return answer if answer is not None else self._queued(queued, report.blocked)

    def _send_once(self, upload: NewUpload) -> dict[str, Any]:
        outcome = deliver(self.http, upload, self.auth)
        if outcome.status_code is None:
            raise OfflineError(outcome.error or "server unreachable")
        if outcome.verdict == "delivered":
            return outcome.answer
        return _refusal(upload.key, outcome)

    def _queued(self, upload: Upload, reason: str | None) -> dict[str, Any]:
        pending = len(self.outbox) if self.outbox is not None else 0
        return {
            "status": "queued",
            "upload_id": upload.key,
            "session_id": upload.session_id,
            "pending": pending,
            "reason": reason,
        }

    def flush(self, *, respect_backoff: bool = False) -> FlushReport:
        """Send waiting uploads oldest first until done or a transient failure stops the line."""
        report = FlushReport()
        if self.outbox is None:
            return report
        with self._send_lock:
            while (upload := self.outbox.head()) is not None:
                if respect_backoff and upload.next_attempt_at > time.time():
                    report.blocked = self.outbox.last_error(upload.key) or "waiting to retry"
                    break
                if not self._settle(upload, deliver(self.http, upload, self.auth), report):
                    break
        report.pending = len(self.outbox)
        return report

    def _settle(self, upload: Upload, outcome: Outcome, report: FlushReport) -> bool:
        """Record ``outcome`` of ``upload``; whether the line may move on to the next one."""
        assert self.outbox is not None
        if outcome.verdict == "delivered":
            self.outbox.acknowledge(upload.key)
            self._remember(upload.key, outcome.answer)
            report.delivered += 1
            report.duplicates += bool(outcome.answer.get("duplicate"))
            self.needs_login = False
            return True
        if outcome.verdict == "permanent":
            detail = str(outcome.answer.get("detail") or outcome.error)
            self.outbox.dead_letter(upload.key, outcome.status_code or 0, detail)
            self._remember(upload.key, _refusal(upload.key, outcome))
            log.warning("upload %s refused for good: %s", upload.key, outcome.error)
            report.dead += 1
            return True
        self.needs_login = outcome.verdict == "unauthorized"
        delay = self.backoff.delay_s(upload.attempts + 1, self.rng, outcome.retry_after_s)
        self.outbox.defer(upload.key, outcome.error or outcome.verdict, time.time() + delay)
        report.blocked = outcome.error or outcome.verdict
        return False

    def _remember(self, key: str, answer: dict[str, Any]) -> None:
        self._answers[key] = answer
        while len(self._answers) > _REMEMBERED_ANSWERS:
            self._answers.popitem(last=False)

    def start(self, interval_s: float) -> None:
        """Deliver from a daemon thread: on every submit, and every ``interval_s`` while waiting."""
        if self.outbox is None:
            raise ClientError("background delivery needs an outbox")
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval_s,), name="clarity-outbox", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the background thread (what it has not sent stays in the outbox)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout_s)

    def _run(self, interval_s: float) -> None:
        assert self.outbox is not None
        while not self._stop.is_set():
            try:
                self.flush(respect_backoff=True)
            except Exception:  # keep the thread alive; the upload stays queued
                log.exception("outbox delivery failed")
            head = self.outbox.head()
            wait = interval_s if head is None else head.next_attempt_at - time.time()
            self._wake.wait(min(interval_s, max(0.05, wait)))
            self._wake.clear()


def _refusal(key: str, outcome: Outcome) -> dict[str, Any]:
    """The answer a caller gets for a refused upload: the server's envelope plus status/upload_id."""
    return {
        **outcome.answer,
        "status": "error",
        "status_code": outcome.status_code,
        "detail": outcome.answer.get("detail") or outcome.error,
        "upload_id": key,
    }
