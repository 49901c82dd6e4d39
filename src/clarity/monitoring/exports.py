"""A session window as an HTTP body: exact JSON or binary frame, or a WFDB/EDF/CSV file."""

from __future__ import annotations

import numpy as np
import orjson
from fastapi import Response

from clarity.db.models import Recording
from clarity.ecg.formats import FILE_EXTENSIONS, MEDIA_TYPES, write_waveform
from clarity.ecg.waveform import Waveform
from clarity.errors import Unprocessable
from clarity.kit.time import isoformat_z
from clarity.monitoring import frames
from clarity.monitoring.schemas import WaveformFormat
from clarity.monitoring.waveforms import Segment
from clarity.storage import content_disposition


def waveform_response(recording: Recording, segment: Segment, fmt: WaveformFormat) -> Response:
    """The body for ``GET /sessions/{id}/waveform?format=...``."""
    if fmt == "json":
        return _json(recording, segment)
    if fmt == "binary":
        frame = frames.Frame(
            segment.fs, segment.leads, segment.values, segment.gain, segment.start_idx, _ms(segment)
        )
        return Response(frames.encode(frame), media_type=frames.MEDIA_TYPE)
    millivolts = segment.millivolts()
    if not np.isfinite(millivolts).all():
        raise Unprocessable(
            "this window has gaps; ask for format=json or binary, or a window without gaps"
        )
    waveform = Waveform(
        millivolts.astype(np.float32), segment.fs, segment.leads, segment.start_time
    )
    name = f"{recording.session_id}_{segment.start_idx}{FILE_EXTENSIONS[fmt]}"
    return Response(
        write_waveform(waveform, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": content_disposition(name)},
    )


def _json(recording: Recording, segment: Segment) -> Response:
    millivolts = segment.millivolts()
    body = {
        "session_id": recording.session_id,
        "sampling_rate": segment.fs,
        "start_sample": segment.start_idx,
        "n_samples": int(millivolts.shape[1]),
        "start_time": isoformat_z(segment.start_time) if segment.start_time else None,
        "leads": {name: millivolts[i] for i, name in enumerate(segment.leads)},
    }
    # orjson writes the shortest repr of each float64 (so 0.123 comes back as 0.123) and NaN gaps as null
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )


def _ms(segment: Segment) -> int | None:
    return int(segment.start_time.timestamp() * 1000) if segment.start_time else None
