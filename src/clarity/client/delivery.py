"""Sending one upload and judging the answer: delivered, retry later, refused for good, or sign in.

The rules a device needs to stay correct offline:

- a connection error, a timeout, 408, 429, any 5xx, or a 4xx carrying ``Retry-After`` is
  *transient*: keep the upload and retry with exponential backoff and jitter (at least as long
  as ``Retry-After`` asks);
- 401 means the credentials are stale: refresh the token once and resend; if that fails, keep the
  upload (the data is fine, the sign-in is not) and stop until someone signs in again;
- any other 4xx is *permanent*: the same bytes will never be accepted, so the upload goes to the
  dead letters with the server's ``detail`` instead of blocking the queue forever.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from clarity.client.outbox import NewUpload, Upload

Verdict = Literal["delivered", "transient", "permanent", "unauthorized"]
TRANSIENT_4XX = frozenset({408, 425, 429})
# The server answers 409 with this while another attempt with the same key is still running.
_IN_FLIGHT_HINT = "being processed"


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt: the verdict, the server's JSON answer, and a reason."""

    verdict: Verdict
    status_code: int | None
    answer: dict[str, Any]
    error: str | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with "equal jitter": half the delay fixed, half random."""

    base_s: float = 1.0
    cap_s: float = 300.0

    def delay_s(self, attempts: int, rng: random.Random, retry_after_s: float | None) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1 = the first)."""
        ceiling = min(self.cap_s, self.base_s * 2.0 ** max(0, attempts - 1))
        delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
        return max(delay, retry_after_s or 0.0)


class Credentials:
    """A bearer token with its refresh token, or an API key; refreshed on 401, thread-safe."""

    def __init__(
        self,
        *,
        token: str | None = None,
        refresh_token: str | None = None,
        api_key: str | None = None,
        on_tokens: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.token, self.refresh_token, self.api_key = token, refresh_token, api_key
        self.on_tokens = on_tokens
        self._lock = threading.Lock()

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.api_key:
            return {"X-API-Key": self.api_key}
        return {}

    def accept(self, answer: dict[str, Any]) -> None:
        """Keep the tokens of a register/login/refresh answer."""
        with self._lock:
            self.token = answer.get("token") or answer.get("access_token") or self.token
            self.refresh_token = answer.get("refresh_token") or self.refresh_token
        if self.on_tokens is not None:
            self.on_tokens(answer)

    def refresh(self, http: httpx.Client, stale_token: str | None) -> bool:
        """Exchange the refresh token for new tokens; True when there is a fresh token to use."""
        with self._lock:
            if self.token != stale_token:
                return True  # another thread refreshed meanwhile
            refresh_token = self.refresh_token
        if not refresh_token:
            return False
        try:
            response = http.post("/auth/refresh", json={"refresh_token": refresh_token})
        except httpx.TransportError:
            return False
        if response.status_code != 200:
            return False
        self.accept(response.json())
        return True


def build_request(
    http: httpx.Client, upload: Upload | NewUpload, auth: Credentials
) -> httpx.Request:
    """The HTTP request of ``upload`` with the current credentials and its Idempotency-Key."""
    headers = {**auth.headers(), "Idempotency-Key": upload.key}
    if upload.kind == "multipart":
        meta = upload.meta
        files = {"file": (meta.get("filename", "report.pdf"), upload.body, "application/pdf")}
        data = {"metadata": meta["metadata"]} if meta.get("metadata") is not None else None
        return http.build_request("POST", upload.path, files=files, data=data, headers=headers)
    headers["Content-Type"] = upload.meta.get("content_type", "application/json")
    return http.build_request("POST", upload.path, content=upload.body, headers=headers)


def deliver(http: httpx.Client, upload: Upload | NewUpload, auth: Credentials) -> Outcome:
    """Send ``upload`` once (plus one resend after a token refresh) and judge the answer."""
    token = auth.token
    try:
        response = http.send(build_request(http, upload, auth))
        if response.status_code == 401 and auth.refresh(http, token):
            response = http.send(build_request(http, upload, auth))
    except httpx.TransportError as exc:
        return Outcome("transient", None, {}, f"{type(exc).__name__}: {exc}")
    return judge(response)


def judge(response: httpx.Response) -> Outcome:
    """Classify an HTTP answer (see the module docstring for the rules)."""
    answer = _json_object(response)
    code = response.status_code
    if code < 300:
        return Outcome("delivered", code, answer)
    detail = str(answer.get("detail") or response.reason_phrase or f"HTTP {code}")
    retry_after = _retry_after_s(response)
    if code == 401:
        return Outcome("unauthorized", code, answer, detail)
    transient = (
        code >= 500
        or code in TRANSIENT_4XX
        or retry_after is not None
        or (code == 409 and _IN_FLIGHT_HINT in detail)
    )
    verdict: Verdict = "transient" if transient else "permanent"
    return Outcome(verdict, code, answer, f"HTTP {code}: {detail}", retry_after)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {"detail": response.text[:500]}
    return value if isinstance(value, dict) else {"value": value}


def _retry_after_s(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None  # an HTTP date: rare enough to fall back on the backoff alone
