"""ECG analysis response: quality, measurements, statements and the beats they rest on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from clarity.ecg.signal.interpret import Statement
from clarity.ecg.signal.measure import Measurements
from clarity.ecg.signal.quality import Quality

Sex = Literal["male", "female"]


class Beats(BaseModel):
    """Every beat: its R peak and fiducial points in ms from the first sample (null when absent)."""

    r_peak_ms: list[float]
    beat_class: list[str] = Field(
        description="N normal, S supraventricular or V ventricular premature"
    )
    p_onset_ms: list[float | None]
    p_offset_ms: list[float | None]
    qrs_onset_ms: list[float | None]
    qrs_offset_ms: list[float | None]
    t_peak_ms: list[float | None]
    t_offset_ms: list[float | None]


class AnalysisRead(BaseModel):
    """The full analysis of one ECG."""

    sampling_rate: float
    duration_s: float
    leads: list[str]
    usable_leads: list[str]
    quality: Quality
    measurements: Measurements
    statements: list[Statement]
    beats: Beats
