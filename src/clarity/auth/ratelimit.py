"""Fixed-window attempt counters: in process by default, shared through Redis when configured."""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol


class RateLimiter(Protocol):
    """Counts attempts per key; ``hit`` answers how many seconds to wait once over the limit."""

    def hit(self, key: str, *, limit: int, window_s: int) -> int | None:
        """Count one attempt. ``None`` while within ``limit`` per ``window_s``, else seconds to wait."""
        ...


class MemoryRateLimiter:
    """Counters in this process (one server process; tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, *, limit: int, window_s: int) -> int | None:
        now = time.monotonic()
        with self._lock:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= window_s:
                started, count = now, 0
            count += 1
            self._windows[key] = (started, count)
            if len(self._windows) > 100_000:
                self._forget_expired(now, window_s)
        if count > limit:
            return max(1, int(started + window_s - now + 0.999))
        return None

    def _forget_expired(self, now: float, window_s: int) -> None:
        expired = [k for k, (start, _) in self._windows.items() if now - start >= window_s]
        for key in expired:
            del self._windows[key]


class RedisRateLimiter:
    """Counters in Redis, shared by every server process (INCR + EXPIRE in one transaction)."""

    def __init__(self, client: Any, prefix: str = "clarity:rl:") -> None:
        self._redis = client
        self._prefix = prefix

    def hit(self, key: str, *, limit: int, window_s: int) -> int | None:
        name = self._prefix + key
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window_s, nx=True)
        pipe.ttl(name)
        count, _, ttl = pipe.execute()
        if int(count) > limit:
            return max(1, int(ttl))
        return None
