"""Device protocol shapes: exactly the seed 002 fields, plus optional extensions named here."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from clarity.kit.time import as_utc

SessionId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]
ClientId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
MAX_JSON_SAMPLES = 2_000_000
MAX_START_SAMPLE = 2**40  # 70 years at 500 Hz: any real session, and safe for every integer column
MAX_WINDOW_S = 10_000_000.0  # 115 days


def _aware(value: datetime) -> datetime:
    return as_utc(value)


Timestamp = Annotated[datetime, AfterValidator(_aware)]


class Extensible(BaseModel):
    """Device payloads carry extra fields (``type``, ``user_id``...): accepted and ignored."""

    model_config = ConfigDict(extra="ignore")


class SessionStart(Extensible):
    device_serial: str | None = Field(None, max_length=100)
    device_info: dict[str, Any] = Field(default_factory=dict)
    session_id: SessionId | None = Field(
        None, description="client-chosen id, for sessions begun offline"
    )
    timestamp: Timestamp | None = Field(None, description="when the session began on the device")
    patient_id: str | None = Field(
        None, max_length=40, description="staff: whose recording this is"
    )


RecordingStatus = Literal["active", "ended"]


class SessionStarted(BaseModel):
    session_id: str
    id: str = Field(description="the server's id of the recording")
    status: RecordingStatus
    started_at: datetime
    created: bool = Field(description="false when this session id already existed (a retry)")


class MetricsUpload(Extensible):
    timestamp: Timestamp
    metrics: dict[str, float | int | str | bool | None] = Field(max_length=100)
    status: dict[str, Any] | None = None
    client_id: ClientId | None = None

    @field_validator("metrics")
    @classmethod
    def _finite(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, number in value.items():
            if isinstance(number, float) and not math.isfinite(number):
                raise ValueError(f"metric {name!r} is not a finite number")
        return value


class MetricsAccepted(BaseModel):
    status: Literal["success"] = "success"
    metrics_id: str
    duplicate: bool = False


class WaveformUpload(Extensible):
    """A block of samples in mV per lead, all leads the same length (seed 002)."""

    timestamp: Timestamp
    sampling_rate: float = Field(gt=0)
    leads: dict[str, list[float]] = Field(min_length=1, max_length=16)
    start_sample: int | None = Field(
        None, ge=0, le=MAX_START_SAMPLE, description="index of the first sample in the session"
    )
    client_id: ClientId | None = None


class WaveformAccepted(BaseModel):
    status: Literal["success"] = "success"
    waveform_id: str
    n_samples: int
    start_sample: int | None
    duplicate: bool = False


class ArrhythmiaDetail(Extensible):
    type: str = Field(min_length=1, max_length=60)
    severity: str | None = Field(None, max_length=20)
    description: str | None = Field(None, max_length=1000)
    heart_rate_at_event: float | None = None
    lead: str | None = Field(None, max_length=16)
    waveform_snippet: list[float] | None = Field(None, max_length=20_000)
    sampling_rate: float | None = Field(None, gt=0)


class ErrorDetail(Extensible):
    error_type: str = Field(min_length=1, max_length=100)
    error_message: str | None = Field(None, max_length=10_000)
    stack_trace: str | None = Field(None, max_length=200_000)
    system_info: dict[str, Any] | None = None


class EventUpload(Extensible):
    type: Literal["arrhythmia_detected", "error_report"]
    timestamp: Timestamp
    arrhythmia: ArrhythmiaDetail | None = None
    error: ErrorDetail | None = None
    client_id: ClientId | None = None


class EventAccepted(BaseModel):
    status: Literal["success"] = "success"
    event_id: str
    duplicate: bool = False


class SessionEnd(Extensible):
    summary: dict[str, Any] = Field(default_factory=dict)
    timestamp: Timestamp | None = None


class SessionEnded(BaseModel):
    status: Literal["success"] = "success"
    session_id: str
    server_summary: dict[str, Any] | None = None


class SessionListItem(BaseModel):
    session_id: str
    id: str
    status: str
    start_time: datetime
    end_time: datetime | None
    duration_seconds: float | None
    average_heart_rate: float | None
    device_serial: str | None
    patient_id: str | None


class SessionList(BaseModel):
    sessions: list[SessionListItem]


class MetricRead(BaseModel):
    metrics_id: str
    source: str
    timestamp: datetime
    metrics: dict[str, Any]
    status: dict[str, Any] | None


class WaveformSegmentRead(BaseModel):
    waveform_id: str
    timestamp: datetime
    start_sample: int | None
    sampling_rate: float
    leads: list[str]
    n_samples: int
    encoding: str


class EventRead(BaseModel):
    event_id: str
    source: str
    type: str
    subtype: str | None
    severity: str | None
    timestamp: datetime
    payload: dict[str, Any]


class ReportLink(BaseModel):
    report_id: str
    filename: str
    created_at: datetime
    url: str | None = None


class SessionData(BaseModel):
    """Everything about one session (seed 002 ``GET /sessions/{id}/data`` plus the server's view)."""

    session_id: str
    id: str
    status: str
    device_serial: str | None
    device_info: dict[str, Any] | None
    patient_id: str | None
    start_time: datetime
    end_time: datetime | None
    sampling_rate: float | None
    leads: list[str] | None
    n_samples: int
    metrics_timeline: list[MetricRead]
    waveform_segments: list[WaveformSegmentRead]
    events: list[EventRead]
    reports: list[ReportLink]
    device_summary: dict[str, Any] | None
    server_summary: dict[str, Any] | None


WaveformFormat = Literal["json", "binary", "wfdb", "edf", "csv"]
