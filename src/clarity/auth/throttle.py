"""Login and registration throttling per client address and per identifier (429 + Retry-After)."""

from __future__ import annotations

import hashlib

from clarity.auth.ratelimit import RateLimiter
from clarity.errors import TooManyRequests


def throttle(
    limiter: RateLimiter,
    action: str,
    *,
    client: str | None,
    identifier: str | None,
    limit: int,
    window_s: int,
) -> None:
    """Count one ``action`` attempt for the client and the identifier; 429 once either is over."""
    keys = [f"{action}:ip:{client or 'unknown'}"]
    if identifier:
        # hashed so that the limiter (Redis) never holds phone numbers or e-mail addresses
        digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]
        keys.append(f"{action}:id:{digest}")
    waits = [limiter.hit(key, limit=limit, window_s=window_s) for key in keys]
    worst = max((w for w in waits if w is not None), default=None)
    if worst is not None:
        raise TooManyRequests(worst, f"too many {action} attempts; retry in {worst} s")
