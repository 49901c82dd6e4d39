"""ECG analysis use cases: read any supported upload into a ``Waveform`` and analyse it."""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import SignalTooLong
from clarity.ecg.formats import Format, Limits, read_waveform
from clarity.ecg.schemas import AnalysisRead, Beats, Sex
from clarity.ecg.signal.analysis import EcgAnalysis, analyze
from clarity.ecg.waveform import Waveform
from clarity.monitoring import frames

MAX_ANALYSIS_S = 300.0
UPLOAD_LIMITS = Limits(max_bytes=25 * 1024 * 1024, max_leads=16, max_samples=16 * 1000 * 300)
BodyKind = Literal["file", "frame"]


def waveform_from_bytes(
    data: bytes, *, kind: BodyKind = "file", filename: str | None = None, fmt: Format | None = None,
    fs: float | None = None,
) -> Waveform:  # fmt: skip
    """A waveform from an uploaded file (any supported format) or a binary frame."""
    if kind == "frame":
        frame = frames.decode(data)
        return Waveform(frame.millivolts().astype(np.float32), frame.fs, frame.leads)
    return read_waveform(data, filename=filename, format=fmt, fs=fs, limits=UPLOAD_LIMITS)


def analyze_waveform(
    waveform: Waveform, *, sex: Sex | None = None, age: float | None = None
) -> AnalysisRead:
    """Quality, measurements, interpretation statements and beats of a resting ECG."""
    if waveform.duration_s > MAX_ANALYSIS_S:
        raise SignalTooLong(
            f"the ECG is {waveform.duration_s:.0f} s long; analysis takes at most {MAX_ANALYSIS_S:.0f} s "
            "(stream longer recordings as a device session)"
        )
    result = analyze(waveform, sex=sex, age=age)
    return AnalysisRead(
        sampling_rate=waveform.fs, duration_s=round(waveform.duration_s, 3), leads=list(waveform.leads),
        usable_leads=list(result.usable_leads), quality=result.quality, measurements=result.measurements,
        statements=list(result.statements), beats=_beats(result),
    )  # fmt: skip


def _beats(result: EcgAnalysis) -> Beats:
    d, fs = result.delineation, result.r_peaks.fs

    def ms(idx: npt.NDArray[np.int64]) -> list[float | None]:
        return [None if i < 0 else round(float(i) * 1000.0 / fs, 1) for i in idx.tolist()]

    return Beats(
        r_peak_ms=[round(float(i) * 1000.0 / fs, 1) for i in result.r_peaks.indices.tolist()],
        beat_class=[str(c) for c in result.measurements.beat_classes],
        p_onset_ms=ms(d.p_onset), p_offset_ms=ms(d.p_offset), qrs_onset_ms=ms(d.qrs_onset),
        qrs_offset_ms=ms(d.qrs_offset), t_peak_ms=ms(d.t_peak), t_offset_ms=ms(d.t_offset),
    )  # fmt: skip


def parse_format(value: str | None) -> Format | None:
    return cast(Format, value) if value else None
