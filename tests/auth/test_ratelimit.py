"""Rate limiters: the in-process one and the Redis one (against the real Redis) keep the same rules."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from clarity.auth.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = os.environ.get("CLARITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"clarity-test:{uuid.uuid4().hex}:"
    yield RedisRateLimiter(client, prefix=prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_allows_up_to_the_limit_then_says_how_long_to_wait(limiter: RateLimiter) -> None:
    answers = [limiter.hit("login:ip:1.2.3.4", limit=3, window_s=30) for _ in range(5)]
    assert answers[:3] == [None, None, None]
    assert all(a is not None and 1 <= a <= 30 for a in answers[3:])


def test_keys_are_counted_separately(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.hit("a", limit=3, window_s=30)
    assert limiter.hit("a", limit=3, window_s=30) is not None
    assert limiter.hit("b", limit=3, window_s=30) is None


def test_redis_limit_is_shared_between_processes() -> None:
    prefix = f"clarity-test:{uuid.uuid4().hex}:"
    first, second = redis.Redis.from_url(REDIS_URL), redis.Redis.from_url(REDIS_URL)
    try:
        one, two = RedisRateLimiter(first, prefix=prefix), RedisRateLimiter(second, prefix=prefix)
        assert one.hit("k", limit=2, window_s=30) is None
        assert two.hit("k", limit=2, window_s=30) is None
        assert one.hit("k", limit=2, window_s=30) is not None
    finally:
        for key in first.scan_iter(f"{prefix}*"):
            first.delete(key)
        first.close()
        second.close()
