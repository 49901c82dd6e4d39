"""``ClarityClient``: the device side of the protocol, offline-first.

The method names and answers are those of the ECG monitor's ``BackendAPI`` (seed 002), so an app
written against it switches by changing one import. On top of the seed:

- token refresh on 401 (once per request, then the upload waits for a new sign-in), or an API key;
- binary frames for high sampling rates (``upload_waveform_binary`` or ``binary=True``);
- with ``outbox=`` a path, every upload is first committed to an on-disk queue and sent in order;
  offline (connection refused, timeouts, 5xx, 429) it stays there and is re-sent with exponential
  backoff and jitter, by ``flush()`` or a background thread. Sessions get a client-chosen id, so a
  session begun offline is the same session on the server once it syncs.

An upload's answer is the server's JSON (``{"status": "success", ...}``), or ``{"status": "queued",
"upload_id": ...}`` while it waits in the outbox, or ``{"status": "error", "status_code", "detail"}``
when the server refused it for good (it is then in ``dead_letters()``).
"""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import orjson

from clarity.client.courier import ClientError, Courier, FlushReport, OfflineError
from clarity.client.delivery import Backoff, Credentials, judge
from clarity.client.outbox import DeadLetter, NewUpload, Outbox
from clarity.monitoring import frames

DEFAULT_URL = "http://localhost:8000/api/v1"
STANDARD_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
_NO_SESSION = {"status": "error", "message": "No active session"}


class ClarityClient:
    """A device's connection to Clarity (see the module docstring)."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        token: str | None = None,
        refresh_token: str | None = None,
        outbox: Outbox | str | Path | None = None,
        timeout_s: float = 10.0,
        backoff: Backoff | None = None,
        transport: httpx.BaseTransport | None = None,
        on_tokens: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """``on_tokens`` receives every new token answer (sign-in, refresh) for the app to keep."""
        self.base_url = base_url.rstrip("/")
        self.auth = Credentials(
            token=token, refresh_token=refresh_token, api_key=api_key, on_tokens=on_tokens
        )
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport)
        self.outbox = outbox if isinstance(outbox, Outbox) or outbox is None else Outbox(outbox)
        self.courier = Courier(self.http, self.auth, self.outbox, backoff=backoff)
        self.session_id: str | None = None

    @classmethod
    def from_env(cls, **kwargs: Any) -> ClarityClient:
        """A client configured like the seed's: ``BACKEND_API_URL`` and ``BACKEND_API_KEY``."""
        url = os.environ.get("BACKEND_API_URL", DEFAULT_URL)
        return cls(url, api_key=os.environ.get("BACKEND_API_KEY"), **kwargs)

    # accounts (need the network: never queued)

    def set_token(self, token: str) -> None:
        """Use ``token`` as the bearer token of later requests."""
        self.auth.token = token

    def register_user(self, user_data: dict[str, Any]) -> dict[str, Any]:
        """Register a device user and sign in (``{user_id, token, refresh_token, ...}``)."""
        return self._sign_in("/auth/register", user_data)

    def login(self, identifier: str, password: str) -> dict[str, Any]:
        """Sign in with an e-mail, phone, device serial or username."""
        return self._sign_in("/auth/login", {"identifier": identifier, "password": password})

    def _sign_in(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.post(path, json=body)
        except httpx.TransportError as exc:
            raise OfflineError(f"cannot reach {self.base_url}: {exc}") from exc
        answer = judge(response).answer
        if response.is_success and "token" in answer:
            self.auth.accept(answer)
            self.courier.needs_login = False
        return answer

    def refresh_tokens(self) -> bool:
        """Exchange the refresh token for new tokens now; whether it worked."""
        return self.auth.refresh(self.http, self.auth.token)

    # sessions and uploads (queued in the outbox when there is one)

    def start_session(
        self, device_serial: str, device_info: dict[str, Any], *, session_id: str | None = None
    ) -> str:
        """Start a recording session; its id. With an outbox the id is chosen here (offline-proof)."""
        if session_id is None and self.outbox is not None:
            session_id = new_session_id()
        body: dict[str, Any] = {"device_serial": device_serial, "device_info": device_info}
        body |= {"timestamp": _now()} | ({"session_id": session_id} if session_id else {})
        key = f"start-{session_id}" if session_id else _key("start")
        answer = self._post_json("/sessions/start", body, key, session_id)
        if answer.get("status") == "error":
            raise ClientError(f"the server refused the session: {answer.get('detail')}")
        self.session_id = str(answer.get("session_id") or session_id)
        return self.session_id

    def upload_metrics(
        self, metrics: dict[str, Any], *, status: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Upload a live metrics snapshot (taken now)."""
        if not self.session_id:
            return dict(_NO_SESSION)
        body = {"timestamp": _now(), "metrics": metrics} | ({"status": status} if status else {})
        return self._post_json(f"/sessions/{self.session_id}/metrics", body, _key("metrics"))

    def upload_waveform(
        self,
        leads_data: dict[str, Any],
        sampling_rate: float,
        *,
        start_sample: int | None = None,
        binary: bool = False,
    ) -> dict[str, Any]:
        """Upload a block of samples in mV per lead (seed JSON), or as a binary frame."""
        if not self.session_id:
            return dict(_NO_SESSION)
        if binary:
            samples = np.array([np.asarray(v, dtype=np.float64) for v in leads_data.values()])
            return self.upload_waveform_binary(
                samples, sampling_rate, tuple(leads_data), start_sample=start_sample
            )
        body: dict[str, Any] = {"timestamp": _now(), "sampling_rate": sampling_rate}
        body |= {"leads": leads_data}
        if start_sample is not None:
            body["start_sample"] = start_sample
        return self._post_json(f"/sessions/{self.session_id}/waveform", body, _key("wave"))

    def upload_waveform_binary(
        self,
        samples: npt.ArrayLike,
        sampling_rate: float,
        leads: tuple[str, ...] | None = None,
        *,
        gain: float | None = None,
        start_sample: int | None = None,
    ) -> dict[str, Any]:
        """Upload ``samples`` (n_leads, n) as a binary frame.

        Float samples are millivolts and are sent in their most compact exact form (e.g. int16
        counts at a decimal gain); integer samples are ADC counts and need ``gain`` (counts/mV).
        """
        if not self.session_id:
            return dict(_NO_SESSION)
        values, gain = _frame_values(np.asarray(samples), gain)
        names = leads or STANDARD_LEADS[: values.shape[0]]
        ms = int(datetime.now(UTC).timestamp() * 1000)
        frame = frames.Frame(float(sampling_rate), names, values, gain, start_sample, ms)
        upload = NewUpload(
            _key("wave"),
            f"/sessions/{self.session_id}/waveform",
            "binary",
            frames.encode(frame),
            self.session_id,
            {"content_type": frames.MEDIA_TYPE},
        )
        return self.courier.submit(upload)

    def upload_event(self, event_type: str, detail: dict[str, Any]) -> dict[str, Any]:
        """Report an ``arrhythmia_detected`` (detail: type, severity...) or an ``error_report``."""
        if not self.session_id:
            return dict(_NO_SESSION)
        field = "arrhythmia" if event_type == "arrhythmia_detected" else "error"
        body = {"type": event_type, "timestamp": _now(), field: detail}
        return self._post_json(f"/sessions/{self.session_id}/events", body, _key("event"))

    def upload_report(self, pdf_path: str | Path, metadata: dict[str, Any]) -> dict[str, Any]:
        """Upload a PDF report with its metadata (tied to the current session unless it names one)."""
        content = Path(pdf_path).read_bytes()
        if self.session_id and "session_id" not in metadata:
            metadata = {**metadata, "session_id": self.session_id}
        meta = {"filename": Path(pdf_path).name, "metadata": orjson.dumps(metadata).decode()}
        upload = NewUpload(
            _key("report"), "/reports/upload", "multipart", content, self.session_id, meta
        )
        return self.courier.submit(upload)

    def end_session(self, summary: dict[str, Any]) -> dict[str, Any]:
        """End the current session with the device's summary."""
        if not self.session_id:
            return dict(_NO_SESSION)
        session_id, self.session_id = self.session_id, None
        body = {"summary": summary, "timestamp": _now()}
        return self._post_json(f"/sessions/{session_id}/end", body, f"end-{session_id}", session_id)

    def _post_json(
        self, path: str, body: dict[str, Any], key: str, session_id: str | None = None
    ) -> dict[str, Any]:
        payload = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
        session = session_id or self.session_id
        return self.courier.submit(NewUpload(key, path, "json", payload, session))

    # the outbox

    def flush(self) -> FlushReport:
        """Send everything waiting in the outbox now, in order (ignores the backoff timers)."""
        return self.courier.flush()

    def start_background_sync(self, interval_s: float = 5.0) -> None:
        """Send from a background thread; uploads then return ``queued`` at once."""
        self.courier.start(interval_s)

    def stop_background_sync(self) -> None:
        self.courier.stop()

    @property
    def pending(self) -> int:
        """How many uploads wait in the outbox."""
        return len(self.outbox) if self.outbox is not None else 0

    def dead_letters(self) -> list[DeadLetter]:
        """Uploads the server refused for good, with its reasons."""
        return self.outbox.dead_letters() if self.outbox is not None else []

    def close(self) -> None:
        """Stop background sending and close the connection and the outbox file."""
        self.courier.stop()
        self.http.close()
        if self.outbox is not None:
            self.outbox.close()

    def __enter__(self) -> ClarityClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def new_session_id() -> str:
    """A session id chosen on the device (same shape as the server's)."""
    suffix = base64.b32encode(secrets.token_bytes(5)).decode().lower()
    return f"session_{datetime.now(UTC):%Y%m%d_%H%M%S}_{suffix}"


def _key(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _frame_values(
    samples: npt.NDArray[Any], gain: float | None
) -> tuple[npt.NDArray[np.generic], float]:
    if samples.ndim != 2:
        raise ValueError(f"samples must be (n_leads, n_samples), not shape {samples.shape}")
    if samples.dtype.kind in "iu":
        if gain is None:
            raise ValueError("integer samples are ADC counts: pass their gain (counts per mV)")
        dtype = np.int16 if np.abs(samples).max(initial=0) < 2**15 else np.int32
        return samples.astype(dtype), float(gain)
    if gain is not None:
        raise ValueError("gain applies to integer counts; float samples are millivolts")
    return frames.exact_storage(samples.astype(np.float64))
