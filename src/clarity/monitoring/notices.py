"""What subscribers of a recording's live stream receive, and the JSON text it travels as.

Device uploads (over HTTP or the WebSocket) publish a notice after their unit of work commits:
``chunk`` (with a preview a live ECG view can draw), ``metrics``, ``event`` and
``session_ended``. Analysis jobs publish their own ``finding`` and ``alert`` messages through the
same hub. Every message is a JSON object with a ``type``.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from clarity.db.models import Recording
from clarity.kit.time import isoformat_z
from clarity.monitoring import frames
from clarity.monitoring.live import Message
from clarity.monitoring.schemas import (
    EventAccepted,
    EventUpload,
    MetricsAccepted,
    MetricsUpload,
    WaveformAccepted,
)

PREVIEW_MAX_FS_HZ = 250.0
"""Previews keep at most this rate: enough to draw a trace at 25-50 mm/s on a screen."""
PREVIEW_MAX_VALUES = 100_000
"""A chunk's preview carries at most this many numbers over all leads (a bounded message)."""


def preview(millivolts: npt.NDArray[np.float64], fs: float) -> tuple[npt.NDArray[np.float64], int]:
    """A display preview of ``millivolts`` (n_leads, n) and its integer decimation factor.

    Each block of ``factor`` consecutive samples is represented by its sample farthest from the
    lead's median (its baseline), so QRS peaks and S waves keep their height at the reduced rate
    (plain decimation would cut them).
    The preview is for drawing only: exact samples are read back through ``GET .../waveform``.

    Parameters
    ----------
    millivolts : (n_leads, n) float array in mV.
    fs : sampling frequency in Hz.

    Returns
    -------
    (values, factor) : values of shape (n_leads, ceil(n / factor)) in mV, on the time grid
        ``first_sample + j * factor``; ``factor`` is 1 when the chunk is small and slow enough.
    """
    n_leads, n = millivolts.shape
    factor = max(
        1,
        math.ceil(fs / PREVIEW_MAX_FS_HZ),
        math.ceil(n_leads * n / PREVIEW_MAX_VALUES),
    )
    if factor == 1 or n == 0:
        return millivolts, 1
    padded = np.pad(millivolts, ((0, 0), (0, -n % factor)), mode="edge")
    blocks = padded.reshape(n_leads, -1, factor)
    baseline = np.median(millivolts, axis=1)[:, None, None]
    farthest = np.abs(blocks - baseline).argmax(axis=2)
    return np.take_along_axis(blocks, farthest[..., None], axis=2)[..., 0], factor


class Named(Protocol):
    """What a notice says about its recording (a ``Recording`` row or an upload target)."""

    @property
    def id(self) -> str: ...

    @property
    def session_id(self) -> str: ...


def chunk_notice(
    recording: Named,
    frame: frames.Frame,
    accepted: WaveformAccepted,
    timestamp: datetime,
    first_sample: int,
) -> Message:
    """A stored chunk, with a preview in the seed's ``sampling_rate`` + ``leads`` shape.

    Built only when someone watches the recording (``LiveHub.has_subscribers``): the preview
    costs more than storing the chunk.
    """
    values, factor = preview(frame.millivolts(), frame.fs)
    return {
        "type": "chunk",
        **_about(recording),
        "waveform_id": accepted.waveform_id,
        "timestamp": isoformat_z(timestamp),
        "first_sample": first_sample,
        "sampling_rate": frame.fs,
        "n_samples": frame.n_samples,
        "preview": {
            "sampling_rate": frame.fs / factor,
            "decimation": factor,
            "leads": {
                name: np.round(row, 3).tolist()
                for name, row in zip(frame.leads, values, strict=True)
            },
        },
    }


def metrics_notice(recording: Recording, data: MetricsUpload, accepted: MetricsAccepted) -> Message:
    """A stored metrics snapshot from the device."""
    return {
        "type": "metrics",
        **_about(recording),
        "metrics_id": accepted.metrics_id,
        "timestamp": isoformat_z(data.timestamp),
        "metrics": data.metrics,
        "status": data.status,
    }


def event_notice(recording: Recording, data: EventUpload, accepted: EventAccepted) -> Message:
    """A stored device event (an arrhythmia it detected, or its crash report), without snippet."""
    detail = data.arrhythmia if data.type == "arrhythmia_detected" else data.error
    return {
        "type": "event",
        **_about(recording),
        "event_id": accepted.event_id,
        "event_type": data.type,
        "timestamp": isoformat_z(data.timestamp),
        "detail": detail.model_dump(exclude={"waveform_snippet"}, exclude_none=True)
        if detail
        else None,
    }


def ended_notice(recording: Recording) -> Message:
    """The session has ended (analysis may still publish findings afterwards)."""
    ended_at = isoformat_z(recording.ended_at) if recording.ended_at else None
    return {"type": "session_ended", **_about(recording), "ended_at": ended_at}


def _about(recording: Named) -> Message:
    return {"session_id": recording.session_id, "recording_id": recording.id}


def dumps(message: Message) -> str:
    """The JSON text of a live message. Times become ISO 8601; NaN and infinities become null
    (browsers' ``JSON.parse`` rejects them)."""
    try:
        return json.dumps(message, default=_plain, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(message), default=_plain, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.ndarray | np.generic):
        return _finite(value.tolist())
    raise TypeError(f"a live message cannot carry {type(value).__name__}")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
