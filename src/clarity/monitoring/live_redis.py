"""Live fan-out across API processes through Redis pub/sub (chosen when ``CLARITY_REDIS_URL`` is set).

One channel per recording (``clarity:live:<recording id>``), JSON text messages. In each process:

* ``publish`` serialises the message and hands it to a sender thread, so it never blocks on the
  network and may be called from any thread. A message that cannot be sent within
  ``stale_after_s`` (Redis down) is dropped: live data that late is no longer live.
* A listener thread owns the process's one pub/sub connection. It subscribes to the channels of
  the recordings that local WebSocket connections follow (reference counted) and delivers what
  arrives into their queues through an ``InProcessHub``. A process's own messages come back through
  Redis like everyone else's, so each subscriber receives each message exactly once.
* When the connection fails, or stays silent past a ping, the listener reconnects with
  exponential back-off and subscribes again to every channel still wanted. Messages published
  while it was disconnected are lost (pub/sub keeps no history); subscribers stay connected.

``subscribe`` returns once Redis has confirmed the subscription (or after ``ready_timeout_s``
when Redis is unreachable), so a message published after it is not missed.

``has_subscribers`` asks Redis (``PUBSUB NUMSUB``) unless this process has a subscriber of its
own or Redis said yes in the last ``watched_ttl_s``: a confirmed subscription anywhere is always
seen, so a chunk's preview is only built when someone, in any process, watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from clarity.monitoring import notices
from clarity.monitoring.live import InProcessHub, Message

log = logging.getLogger(__name__)
PREFIX = "clarity:live:"
_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]


class RedisHub:
    """A ``LiveHub`` whose messages reach the subscribers of every process sharing one Redis."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = PREFIX,
        poll_s: float = 0.05,
        ping_every_s: float = 10.0,
        backoff_s: tuple[float, float] = (0.1, 5.0),
        ready_timeout_s: float = 2.0,
        stale_after_s: float = 5.0,
        outbox_size: int = 10_000,
        watched_ttl_s: float = 1.0,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._poll_s, self._ping_every_s, self._backoff_s = poll_s, ping_every_s, backoff_s
        self._ready_timeout_s, self._stale_after_s = ready_timeout_s, stale_after_s
        self._local = InProcessHub()
        self._lock = threading.Lock()
        self._wanted: Counter[str] = Counter()
        self._confirmed: set[str] = set()
        self._waiters: dict[str, list[_Waiter]] = {}
        self._outbox: queue.Queue[tuple[str, str, float] | None] = queue.Queue(outbox_size)
        self._closed = threading.Event()
        self._changed = threading.Event()
        self._threads: dict[str, threading.Thread] = {}
        self._drops, self._drops_logged_at = 0, -math.inf
        self._watched_ttl_s = watched_ttl_s
        self._watched_until: dict[str, float] = {}
        self.connected = threading.Event()
        """Set while the listener holds a working pub/sub connection (for health checks)."""

    @classmethod
    def from_url(cls, url: str, *, name: str | None = None, **options: Any) -> RedisHub:
        """A hub with its own connection pool; ``name`` labels its connections in CLIENT LIST."""
        client = redis.Redis.from_url(
            url,
            client_name=name or f"clarity-live-{uuid.uuid4().hex[:8]}",
            socket_connect_timeout=2,
            socket_timeout=10,
            retry=Retry(NoBackoff(), 1),  # one quick retry for a stale pooled connection
        )
        return cls(client, **options)

    @property
    def client_name(self) -> str | None:
        name = self._client.connection_pool.connection_kwargs.get("client_name")
        return str(name) if name else None

    def channel(self, recording_id: str) -> str:
        return self._prefix + recording_id

    # -- publishing -------------------------------------------------------------------------

    def publish(self, recording_id: str, message: Message) -> None:
        """Queue ``message`` for every subscriber of ``recording_id`` in every process."""
        if self._closed.is_set():
            return
        item = (self.channel(recording_id), notices.dumps(message), time.monotonic())
        self._start("sender", self._send_loop)
        try:
            self._outbox.put_nowait(item)
        except queue.Full:
            self._dropped("the outbox is full")

    def _send_loop(self) -> None:
        while (item := self._outbox.get()) is not None:
            self._send(*item)

    def _send(self, channel: str, payload: str, queued_at: float) -> None:
        delay = self._backoff_s[0]
        while not self._closed.is_set():
            if time.monotonic() - queued_at > self._stale_after_s:
                self._dropped("Redis unreachable")
                return
            try:
                self._client.publish(channel, payload)
                return
            except (redis.RedisError, OSError) as exc:
                log.debug("publishing to %s failed: %s", channel, exc)
                self._closed.wait(delay)
                delay = min(delay * 2, self._backoff_s[1])

    def _dropped(self, why: str) -> None:
        """Count a dropped message; log at most every 10 s (an outage must not flood the log)."""
        now = time.monotonic()
        with self._lock:
            self._drops += 1
            if now - self._drops_logged_at < 10.0:
                return
            count, self._drops, self._drops_logged_at = self._drops, 0, now
        log.warning("dropped %d live message(s): %s", count, why)

    def has_subscribers(self, recording_id: str) -> bool:
        """Subscribers here, or (asked of Redis, a yes kept ``watched_ttl_s``) in any process."""
        if self._closed.is_set():
            return False
        if self._local.has_subscribers(recording_id):
            return True
        channel = self.channel(recording_id)
        now = time.monotonic()
        if self._watched_until.get(channel, 0.0) > now:
            return True
        try:
            counts = self._client.pubsub_numsub(channel)
        except (redis.RedisError, OSError):
            return True  # cannot tell: publish, as before there was a way to tell
        watched = any(int(count) > 0 for _, count in counts)
        with self._lock:
            if watched:
                self._watched_until[channel] = now + self._watched_ttl_s
            else:
                self._watched_until.pop(channel, None)
            if len(self._watched_until) > 10_000:  # bounded: forget the expired ones
                self._watched_until = {c: t for c, t in self._watched_until.items() if t > now}
        return watched

    # -- subscribing ------------------------------------------------------------------------

    @asynccontextmanager
    async def subscribe(self, recording_id: str) -> AsyncIterator[asyncio.Queue[Message]]:
        channel = self.channel(recording_id)
        async with self._local.subscribe(recording_id) as messages:
            ready = self._want(channel)
            try:
                if ready is not None:
                    await self._until_ready(channel, ready)
                yield messages
            finally:
                self._unwant(channel, ready)

    def _want(self, channel: str) -> asyncio.Event | None:
        """Count a subscriber; an event set once Redis confirms the channel (None: it has)."""
        with self._lock:
            self._wanted[channel] += 1
            if channel in self._confirmed:
                return None
            ready = asyncio.Event()
            self._waiters.setdefault(channel, []).append((asyncio.get_running_loop(), ready))
        self._changed.set()
        self._start("listener", self._listen_loop)
        return ready

    def _unwant(self, channel: str, ready: asyncio.Event | None) -> None:
        with self._lock:
            self._wanted[channel] -= 1
            if self._wanted[channel] <= 0:
                del self._wanted[channel]
            waiters = self._waiters.get(channel, [])
            waiters[:] = [w for w in waiters if w[1] is not ready]
            if not waiters:
                self._waiters.pop(channel, None)
        self._changed.set()

    async def _until_ready(self, channel: str, ready: asyncio.Event) -> None:
        with anyio.move_on_after(self._ready_timeout_s) as waiting:
            await ready.wait()
        if waiting.cancelled_caught:
            log.warning("Redis has not confirmed %s yet; its messages follow once it does", channel)

    # -- the listener thread ----------------------------------------------------------------

    def _listen_loop(self) -> None:
        failures = 0
        while not self._closed.is_set():
            try:
                self._listen()
            except (redis.RedisError, OSError) as exc:
                problem = f"connection lost ({exc})"
            except Exception:  # a bug must not silence this process's subscribers for good
                log.exception("live Redis listener failed")
                problem = "listener failed"
            else:
                continue  # the hub closed
            finally:
                failures = 0 if self.connected.is_set() else failures
                self.connected.clear()
                with self._lock:
                    self._confirmed.clear()
            failures += 1
            delay = min(self._backoff_s[0] * 2 ** min(failures - 1, 16), self._backoff_s[1])
            log.warning("live Redis %s; reconnecting in %.2f s", problem, delay)
            self._closed.wait(delay)

    def _listen(self) -> None:
        """Hold one pub/sub connection until the hub closes or the connection fails."""
        pubsub = self._client.pubsub()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        try:
            pubsub.ping()  # connects now: an unreachable Redis fails here
            self.connected.set()
            active: set[str] = set()
            last_heard = last_ping = time.monotonic()
            while not self._closed.is_set():
                self._sync(pubsub, active)
                if not active:  # nothing to hear: sleep until a subscriber comes
                    self._changed.wait(self._ping_every_s)
                    self._changed.clear()
                    last_heard = last_ping = time.monotonic()
                    continue
                if (message := pubsub.get_message(timeout=self._poll_s)) is not None:
                    last_heard = time.monotonic()
                    self._receive(message)
                if time.monotonic() - last_ping > self._ping_every_s:
                    pubsub.ping()
                    last_ping = time.monotonic()
                if time.monotonic() - last_heard > 2.5 * self._ping_every_s:
                    raise redis.ConnectionError("Redis did not answer a ping")
        finally:
            pubsub.close()

    def _sync(self, pubsub: Any, active: set[str]) -> None:
        """Subscribe to the channels now wanted and leave those no longer wanted."""
        with self._lock:
            wanted = set(self._wanted)
            dropped = active - wanted
            self._confirmed -= dropped  # under the lock: a new subscriber then waits for Redis
        if added := wanted - active:
            pubsub.subscribe(*added)
            active |= added
        if dropped:
            pubsub.unsubscribe(*dropped)
            active -= dropped

    def _receive(self, message: dict[str, Any]) -> None:
        kind, channel = message["type"], _text(message.get("channel"))
        if kind == "subscribe" and channel:
            self._confirm(channel)
        elif kind == "message" and channel and channel.startswith(self._prefix):
            try:
                decoded = json.loads(message["data"])
            except ValueError:
                log.warning("ignored a live message on %s that is not JSON", channel)
                return
            if isinstance(decoded, dict):
                self._local.publish(channel.removeprefix(self._prefix), decoded)

    def _confirm(self, channel: str) -> None:
        with self._lock:
            self._confirmed.add(channel)
            waiters = self._waiters.pop(channel, [])
        for loop, ready in waiters:
            try:
                loop.call_soon_threadsafe(ready.set)
            except RuntimeError:  # that subscriber's loop has closed
                continue

    # -- life cycle -------------------------------------------------------------------------

    def _start(self, role: str, target: Any) -> None:
        with self._lock:
            thread = self._threads.get(role)
            if self._closed.is_set() or (thread is not None and thread.is_alive()):
                return
            thread = threading.Thread(target=target, name=f"clarity-live-{role}", daemon=True)
            self._threads[role] = thread
        thread.start()

    def close(self) -> None:
        """Send what is queued (briefly), stop both threads, close the connections."""
        sender = self._threads.get("sender")
        if sender is not None and sender.is_alive():
            with contextlib.suppress(queue.Full):
                self._outbox.put(None, timeout=1.0)
            sender.join(timeout=2.0)
        self._closed.set()
        self._changed.set()
        with contextlib.suppress(queue.Empty):
            while True:  # whatever is left is dropped; the sentinel then stops a late sender
                self._outbox.get_nowait()
        self._outbox.put_nowait(None)
        for thread in self._threads.values():
            thread.join(timeout=2.0)
        self._local.close()
        self._client.close()


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None
