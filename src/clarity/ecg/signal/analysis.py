"""``analyze``: the one-call resting-ECG pipeline used by the API and the CLI.

validate → assess quality (raw) → clean → detect R peaks on all usable leads → delineate
(global) → measure → interpret. Leads the quality check finds unusable (lead off, flat, clipped)
take no part in detection, delineation or measurement; a recording with no usable lead at all is
refused with a typed error rather than measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal.delineate import Delineation, delineate
from clarity.ecg.signal.filters import clean
from clarity.ecg.signal.interpret import Statement, interpret
from clarity.ecg.signal.measure import Measurements, measure
from clarity.ecg.signal.peaks import RPeaks, detect_r_peaks
from clarity.ecg.signal.quality import Quality, assess_quality
from clarity.ecg.signal.validate import as_signal
from clarity.ecg.waveform import Waveform

MIN_DURATION_S = 2.0

__all__ = ["EcgAnalysis", "analyze"]


@dataclass(frozen=True)
class EcgAnalysis:
    """Everything the pipeline found in one recording.

    Attributes
    ----------
    quality : per-lead and overall signal quality of the raw recording.
    r_peaks : R peaks detected on the usable leads together.
    delineation : global delineation of those beats (on the usable leads).
    measurements : rate, intervals, axes, amplitudes, HRV, ectopy.
    statements : interpretation statements, summary last.
    usable_leads : the leads that were analysed.
    """

    quality: Quality
    r_peaks: RPeaks
    delineation: Delineation
    measurements: Measurements
    statements: tuple[Statement, ...]
    usable_leads: tuple[str, ...]


def analyze(
    waveform: Waveform,
    *,
    sex: Literal["male", "female"] | None = None,
    age: float | None = None,
) -> EcgAnalysis:
    """Analyse a resting ECG end to end.

    Parameters
    ----------
    waveform : the recording (mV), any lead set; 12 standard leads give the full interpretation.
    sex, age : patient facts for sex- and age-specific limits (see ``interpret``).

    Returns
    -------
    EcgAnalysis

    Raises
    ------
    InvalidSignal
        NaN/inf samples, or no readable lead (every lead flat, off or clipped); the message says
        which problem each lead has. A recording that is only noisy is analysed, and its
        interpretation is limited to a poor-quality statement.
    SignalTooShort
        Less than 2 s of signal.
    """
    fs = waveform.fs
    as_signal(waveform.samples, fs, min_duration_s=MIN_DURATION_S)
    quality = assess_quality(waveform)
    usable = quality.usable_leads or _readable_leads(quality)
    if not usable:
        raise InvalidSignal(f"no usable ECG lead to analyse: {quality.reason}")
    rows = [waveform.leads.index(name) for name in usable]
    cleaned = np.atleast_2d(clean(waveform.samples[rows], fs))
    r_peaks = detect_r_peaks(cleaned, fs)
    delineation = delineate(cleaned, fs, r_peaks)
    subset = Waveform(cleaned.astype(np.float32), fs, usable, waveform.start)
    measurements = measure(subset, delineation=delineation, quality=quality, cleaned=True)
    statements = interpret(measurements, quality=quality, sex=sex, age=age)
    return EcgAnalysis(quality, r_peaks, delineation, measurements, tuple(statements), usable)


_STRUCTURAL = frozenset({"lead_off", "flat_line", "saturation"})


def _readable_leads(quality: Quality) -> tuple[str, ...]:
    """Leads that hold a real signal, however noisy: what a poor-quality analysis still uses.

    Noise, wander and mains interference degrade a lead; an electrode that is off, a flat line or
    a clipped amplifier leave nothing to measure. Only the latter make a recording unreadable.
    """
    return tuple(
        lq.lead
        for lq in quality.leads
        if not any(i.severity == "unusable" and i.kind in _STRUCTURAL for i in lq.issues)
    )
