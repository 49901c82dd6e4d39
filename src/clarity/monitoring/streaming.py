"""The live stream's use cases, free of WebSocket types: open a stream, read and store one device
message. ``stream.py`` runs each call in a worker thread, one unit of work per call.

Credentials are checked again with every stored message (and periodically for watchers), so a
revoked key, an ended sign-in session or a removed care-team membership stops the stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from clarity.api.errors import describe_validation_errors
from clarity.auth import audit
from clarity.auth import service as auth_service
from clarity.auth.principal import Principal
from clarity.db.engine import unit_of_work
from clarity.db.models import Recording
from clarity.errors import BadRequest, ClarityError, Forbidden, NotFound, Unprocessable
from clarity.monitoring import access, service
from clarity.monitoring.live import Message
from clarity.monitoring.schemas import EventUpload, MetricsUpload, WaveformUpload
from clarity.runtime import Runtime

StreamMode = Literal["push", "watch"]
Kind = Literal["auth", "ping", "waveform", "metrics", "event"]
_KINDS: dict[str, tuple[Kind, type[BaseModel] | None]] = {
    "auth": ("auth", None),
    "ping": ("ping", None),
    "waveform": ("waveform", WaveformUpload),
    "ecg_waveform": ("waveform", WaveformUpload),
    "metrics": ("metrics", MetricsUpload),
    "metrics_update": ("metrics", MetricsUpload),
    "arrhythmia_detected": ("event", EventUpload),
    "error_report": ("event", EventUpload),
}


@dataclass(frozen=True)
class Credential:
    """What the client proved itself with: a bearer access token or an API key."""

    token: str | None = None
    api_key: str | None = None

    def authenticate(self, db: Session, runtime: Runtime) -> Principal:
        """The principal of this credential (from the principal cache when verified lately)."""
        kind: auth_service.CredentialKind = "token" if self.token else "api_key"
        secret = self.token or self.api_key or ""
        return auth_service.authenticate(db, runtime.settings, runtime.principals, kind, secret)


@dataclass(frozen=True)
class OpenedStream:
    """The recording a stream follows, and who follows it."""

    recording_id: str
    session_id: str
    status: str
    user_id: str
    role: str


def open_stream(
    runtime: Runtime, credential: Credential, ref: str, mode: StreamMode, *, first: bool = True
) -> OpenedStream:
    """Authenticate and resolve the recording; ``first`` audits a watcher's access."""
    with unit_of_work(runtime.session_factory) as db:
        principal = credential.authenticate(db, runtime)
        recording = _recording_for(db, principal, ref, mode)
        if first and mode == "watch":
            audit.record(db, principal, "recording.watch", "recording", recording.id)
        return OpenedStream(
            recording.id, recording.session_id, recording.status, principal.user_id, principal.role
        )


def _recording_for(db: Session, principal: Principal, ref: str, mode: StreamMode) -> Recording:
    if mode == "watch":
        return access.readable_recording(db, principal, ref)
    try:
        return access.writable_recording(db, principal, ref)
    except NotFound:
        access.readable_recording(db, principal, ref)  # NotFound again unless they may read it
        raise Forbidden(
            "only the session's owner pushes data; connect with ?mode=watch to follow it"
        ) from None


@dataclass(frozen=True)
class Inbound:
    """One message from the client, parsed; ``problem`` says why it cannot be used."""

    kind: Kind
    client_id: str | None = None
    body: BaseModel | bytes | None = None
    raw: dict[str, object] | None = None
    problem: ClarityError | None = None


def parse(data: str | bytes) -> Inbound:
    """A binary frame is a waveform chunk; a text frame is a JSON object with an optional
    ``type`` (no type: a waveform chunk, the body of ``POST .../waveform``)."""
    if isinstance(data, bytes):
        return Inbound("waveform", body=data)
    try:
        obj = json.loads(data)
    except ValueError:
        return Inbound("waveform", problem=BadRequest("malformed JSON message"))
    if not isinstance(obj, dict):
        return Inbound("waveform", problem=BadRequest("a message must be a JSON object"))
    return _parse_object(obj)


def _parse_object(obj: dict[str, object]) -> Inbound:
    given = obj.get("client_id")
    client_id = given if isinstance(given, str) else None
    type_name = obj.get("type", "waveform")
    entry = _KINDS.get(type_name) if isinstance(type_name, str) else None
    if entry is None:
        known = ", ".join(sorted(_KINDS))
        problem = BadRequest(f"unknown message type {type_name!r}; known types: {known}")
        return Inbound("waveform", client_id, problem=problem)
    kind, model = entry
    if model is None:
        return Inbound(kind, client_id, raw=obj)
    try:
        return Inbound(kind, client_id, body=model.model_validate(obj))
    except ValidationError as exc:
        detail = describe_validation_errors(list(exc.errors()))  # type: ignore[arg-type]  # pydantic's ErrorDetails are dicts
        return Inbound(kind, client_id, problem=Unprocessable(detail))


def credential_from(message: Inbound) -> Credential | None:
    """The credential of an ``auth`` message: ``{"type": "auth", "token" | "api_key": "..."}``."""
    raw = message.raw or {}
    token, api_key = raw.get("token"), raw.get("api_key")
    if message.kind != "auth" or message.problem is not None:
        return None
    if isinstance(token, str) and token:
        return Credential(token=token)
    if isinstance(api_key, str) and api_key:
        return Credential(api_key=api_key)
    return None


def store(
    runtime: Runtime, credential: Credential, recording_id: str, body: BaseModel | bytes
) -> Message:
    """Store one pushed item through the same use case as HTTP; the acknowledgement's fields."""
    with unit_of_work(runtime.session_factory) as db:
        principal = credential.authenticate(db, runtime)
        if isinstance(body, bytes | WaveformUpload):
            chunk = service.add_waveform(db, runtime, principal, recording_id, body, None)
            return {"kind": "waveform", **chunk.model_dump(exclude={"status"})}
        if isinstance(body, MetricsUpload):
            metrics = service.add_metrics(db, runtime, principal, recording_id, body, None)
            return {"kind": "metrics", **metrics.model_dump(exclude={"status"})}
        if isinstance(body, EventUpload):
            event = service.add_event(db, runtime, principal, recording_id, body, None)
            return {"kind": "event", **event.model_dump(exclude={"status"})}
        raise TypeError(f"cannot store {type(body).__name__}")
