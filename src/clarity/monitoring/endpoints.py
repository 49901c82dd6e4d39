"""The device protocol over HTTP (seed 002 paths and fields), under ``/api/v1``."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ValidationError

from clarity.api.deps import CurrentPrincipal, DbSession, RuntimeDep, in_unit_of_work
from clarity.api.errors import describe_validation_errors
from clarity.errors import BadRequest, Unprocessable, UnsupportedMediaType
from clarity.monitoring import exports, frames, reads, service
from clarity.monitoring.schemas import (
    MAX_WINDOW_S,
    EventAccepted,
    EventUpload,
    MetricsAccepted,
    MetricsUpload,
    SessionData,
    SessionEnd,
    SessionEnded,
    SessionList,
    SessionStart,
    SessionStarted,
    WaveformAccepted,
    WaveformFormat,
    WaveformUpload,
)

router = APIRouter(prefix="/api/v1", tags=["device sessions"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="client id of this upload; a retry replays the answer",
    ),
]
M = TypeVar("M", bound=BaseModel)

_WAVEFORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": WaveformUpload.model_json_schema()},
            frames.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post("/sessions/start", response_model=SessionStarted)
def start_session(body: SessionStart, principal: CurrentPrincipal, db: DbSession) -> SessionStarted:
    """Start a recording session (or resume one begun offline with its own ``session_id``)."""
    return service.start_session(db, principal, body)


@router.post("/sessions/{session_id}/metrics", response_model=MetricsAccepted)
def upload_metrics(
    session_id: str,
    body: MetricsUpload,
    principal: CurrentPrincipal,
    db: DbSession,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
) -> MetricsAccepted:
    """Upload a live metrics snapshot."""
    return service.add_metrics(db, runtime, principal, session_id, body, key)


@router.post(
    "/sessions/{session_id}/waveform", response_model=WaveformAccepted, openapi_extra=_WAVEFORM_BODY
)
async def upload_waveform(
    session_id: str,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
) -> WaveformAccepted:
    """Upload a block of samples: JSON lead dict in mV, or a binary frame (see README)."""
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: WaveformUpload | bytes
    if content_type in (frames.MEDIA_TYPE, "application/octet-stream"):
        data = body
    elif content_type in ("application/json", ""):
        data = parse_json(WaveformUpload, body)
    else:
        raise UnsupportedMediaType(
            f"send application/json or {frames.MEDIA_TYPE}, not {content_type}"
        )
    return await in_unit_of_work(
        runtime, service.add_waveform, runtime, principal, session_id, data, key
    )


def parse_json(model: type[M], body: bytes) -> M:
    """Validate a raw JSON body against ``model`` with the API's error messages."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            raise BadRequest("malformed JSON body") from None
        raise Unprocessable(describe_validation_errors(errors)) from None  # type: ignore[arg-type]  # pydantic's ErrorDetails are dicts


@router.post("/sessions/{session_id}/events", response_model=EventAccepted)
def upload_event(
    session_id: str,
    body: EventUpload,
    principal: CurrentPrincipal,
    db: DbSession,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
) -> EventAccepted:
    """Report an arrhythmia the device detected, or a crash (error report)."""
    return service.add_event(db, runtime, principal, session_id, body, key)


@router.post("/sessions/{session_id}/end", response_model=SessionEnded)
def end_session(
    session_id: str,
    body: SessionEnd,
    principal: CurrentPrincipal,
    db: DbSession,
    runtime: RuntimeDep,
) -> SessionEnded:
    """End a session with the device's summary."""
    recording = service.end_session(db, runtime, principal, session_id, body)
    return SessionEnded(session_id=recording.session_id, server_summary=recording.server_summary)


@router.get("/users/{user_id}/sessions", response_model=SessionList)
def list_sessions(user_id: str, principal: CurrentPrincipal, db: DbSession) -> SessionList:
    """A user's sessions, newest first."""
    return reads.list_user_sessions(db, principal, user_id)


@router.get("/sessions/{session_id}/data", response_model=SessionData)
def session_data(session_id: str, principal: CurrentPrincipal, db: DbSession) -> SessionData:
    """Metrics timeline, waveform segments, events, reports and the server's analysis."""
    return reads.session_data(db, principal, session_id)


@router.get("/sessions/{session_id}/waveform")
def download_waveform(
    session_id: str,
    principal: CurrentPrincipal,
    db: DbSession,
    runtime: RuntimeDep,
    start: Annotated[
        float | None, Query(ge=0, le=MAX_WINDOW_S, description="seconds from the first sample")
    ] = None,
    end: Annotated[
        float | None, Query(gt=0, le=MAX_WINDOW_S, description="seconds from the first sample")
    ] = None,
    leads: Annotated[
        str | None, Query(max_length=200, description="comma-separated, e.g. I,II,V1")
    ] = None,
    format: Annotated[WaveformFormat, Query()] = "json",
) -> Response:
    """The samples of a session window, exactly as sent (json, binary) or as a WFDB/EDF/CSV file."""
    lead_list = [n for n in (leads or "").split(",") if n.strip()] or None
    recording, segment = reads.read_waveform(
        db, runtime.blob_store, principal, session_id, start_s=start, end_s=end, leads=lead_list
    )
    return exports.waveform_response(recording, segment, format)
