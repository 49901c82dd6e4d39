"""What the FHIR builder is given: plain frozen dataclasses, no ORM rows, no web types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Source = Literal["device", "server"]


@dataclass(frozen=True)
class PatientFacts:
    """The patient a session belongs to. ``sex`` is FHIR's administrative gender already."""

    id: str
    name: str | None = None
    sex: Literal["male", "female", "other", "unknown"] | None = None
    birth_date: date | None = None


@dataclass(frozen=True)
class DeviceFacts:
    """The recorder: its serial number and the ``device_info`` the app sent at session start."""

    serial: str | None
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricPoint:
    """Metric values at one instant (``end`` is None) or over an interval (a summary)."""

    source: Source
    start: datetime
    values: Mapping[str, Any]
    end: datetime | None = None


@dataclass(frozen=True)
class ArrhythmiaEvent:
    """An arrhythmia the device or the server reported: at an instant, or an episode to ``end``."""

    id: str
    source: Source
    timestamp: datetime
    kind: str
    description: str | None = None
    severity: str | None = None
    heart_rate_bpm: float | None = None
    lead: str | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class InlineWaveform:
    """The samples of a short recording, exactly as stored.

    Attributes
    ----------
    fs : sampling frequency (Hz).
    leads : lead names, one per row of ``values``.
    values : (n_leads, n_samples): integer counts at ``gain`` counts per mV, or float mV with
        ``gain`` 1.0 (NaN where the stream has a gap).
    gain : counts per mV.
    start : time of the first sample (aware).
    """

    fs: float
    leads: tuple[str, ...]
    values: npt.NDArray[np.generic]
    gain: float
    start: datetime

    @property
    def n_samples(self) -> int:
        return int(self.values.shape[1])


@dataclass(frozen=True)
class DownloadLink:
    """One way to fetch the samples of a long recording: a URL and what it answers."""

    url: str
    content_type: str
    title: str


@dataclass(frozen=True)
class LinkedWaveform:
    """A recording too long to inline: what it holds and where its samples can be fetched."""

    fs: float
    leads: tuple[str, ...]
    n_samples: int
    start: datetime
    links: tuple[DownloadLink, ...]


@dataclass(frozen=True)
class ReportFile:
    """A PDF report of the session, with the URL that serves it."""

    id: str
    url: str
    filename: str
    content_type: str
    created: datetime
    size_bytes: int | None = None
    conclusion: str | None = None


@dataclass(frozen=True)
class SessionRecord:
    """Everything the bundle is built from, for one device session (a ``Recording``)."""

    recording_id: str
    session_id: str
    status: Literal["active", "ended"]
    started_at: datetime
    ended_at: datetime | None
    patient: PatientFacts | None
    device: DeviceFacts
    software_version: str
    metrics: tuple[MetricPoint, ...] = ()
    events: tuple[ArrhythmiaEvent, ...] = ()
    waveform: InlineWaveform | LinkedWaveform | None = None
    reports: tuple[ReportFile, ...] = ()
    device_summary: Mapping[str, Any] | None = None
    server_summary: Mapping[str, Any] | None = None
