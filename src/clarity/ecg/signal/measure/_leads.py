"""Per-lead amplitudes and levels of the representative (median) beat, and the frontal axes.

Amplitudes are taken relative to the isoelectric level of each lead, the median of the PR segment
(from the P-wave end, or 24 ms, to 4 ms before the global QRS onset), as recommended for ST
measurement (Kligfield et al. 2007, Part I; Thygesen et al. 2018). QRS waves are labelled from the
lobes of the complex around that level: Q before the first positive lobe, R the first positive
lobe, S the first negative lobe after it, R' a positive lobe after S; lobes smaller than 50 µV are
ignored (Minnesota Code's smallest scored wave is 0.1 mV; half of it keeps notches out).

References
----------
Kligfield P et al. Recommendations for the standardization and interpretation of the
electrocardiogram. Part I. Circulation 2007;115:1306-1324.
Thygesen K et al. Fourth universal definition of myocardial infarction (2018). Circulation
2018;138:e618-e651.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clarity.ecg.signal.axis import LEAD_ANGLE_DEG, Axes, wave_axis_deg
from clarity.ecg.signal.measure._result import LeadMeasurements
from clarity.ecg.signal.validate import FloatArray

MIN_LOBE_MV = 0.05
TERMINAL_MS = 40.0
ST_LATE_MS = 60.0


@dataclass(frozen=True)
class BeatPoints:
    """Fiducial sample indices inside the median beat (None when the wave is absent)."""

    p_onset: int | None
    p_offset: int | None
    qrs_onset: int
    qrs_offset: int
    t_offset: int | None


@dataclass(frozen=True)
class _Lobe:
    sign: int
    peak_idx: int
    peak_mv: float


def isoelectric_mv(beats: FloatArray, pts: BeatPoints, fs: float) -> FloatArray:
    """Per-lead PR-segment level (mV) of the median beats (leads, w)."""
    stop = pts.qrs_onset - round(0.004 * fs)
    start = pts.qrs_onset - round(0.024 * fs)
    if pts.p_offset is not None and pts.p_offset < stop:
        start = max(start, pts.p_offset)
    start = max(start, 0)
    stop = max(stop, start + 1)
    return np.asarray(np.median(beats[:, start:stop], axis=1), dtype=np.float64)


def _lobes(qrs: FloatArray) -> list[_Lobe]:
    """Alternating-sign lobes of the QRS (those under 50 µV dropped, same-sign neighbours merged)."""
    sign = np.where(qrs >= 0, 1, -1)
    starts = np.r_[0, np.flatnonzero(np.diff(sign)) + 1]
    stops = np.r_[starts[1:], qrs.size]
    big = np.flatnonzero(np.maximum.reduceat(np.abs(qrs), starts) >= MIN_LOBE_MV)
    merged: list[_Lobe] = []
    for start, stop in zip(starts[big].tolist(), stops[big].tolist(), strict=True):
        k = start + int(np.argmax(np.abs(qrs[start:stop])))
        lobe = _Lobe(1 if qrs[k] > 0 else -1, k, float(qrs[k]))
        if merged and merged[-1].sign == lobe.sign:
            if abs(lobe.peak_mv) > abs(merged[-1].peak_mv):
                merged[-1] = lobe
            continue
        merged.append(lobe)
    return merged


def _qrs_waves(qrs: FloatArray, fs: float) -> dict[str, float | None]:
    lobes = _lobes(qrs)
    positive = [i for i, lobe in enumerate(lobes) if lobe.sign > 0]
    if not positive:
        depth = float(max(-qrs.min(), 0.0))
        return {"q": depth, "r": 0.0, "s": depth, "r_prime": 0.0, "rpt": None}
    first = positive[0]
    q = max((-lobe.peak_mv for lobe in lobes[:first]), default=0.0)
    s_lobe = lobes[first + 1] if first + 1 < len(lobes) else None
    r_prime = lobes[first + 2].peak_mv if first + 2 < len(lobes) else 0.0
    return {
        "q": q,
        "r": lobes[first].peak_mv,
        "s": -s_lobe.peak_mv if s_lobe is not None else 0.0,
        "r_prime": r_prime,
        "rpt": lobes[positive[-1]].peak_idx * 1000.0 / fs,
    }


def _signed_extreme(segment: FloatArray) -> float | None:
    if segment.size == 0:
        return None
    return float(segment[int(np.argmax(np.abs(segment)))])


def lead_measurements(name: str, beat: FloatArray, pts: BeatPoints, fs: float) -> LeadMeasurements:
    """Amplitudes of one baseline-corrected median beat (mV)."""
    on, off = pts.qrs_onset, pts.qrs_offset
    qrs = beat[on : off + 1]
    waves = _qrs_waves(qrs, fs)
    n_term = max(1, round(TERMINAL_MS * fs / 1000))
    j60 = off + round(ST_LATE_MS * fs / 1000)
    t_start = off + round(0.04 * fs)
    t_wave = beat[t_start : pts.t_offset + 1] if pts.t_offset is not None else beat[:0]
    p_wave = (
        beat[pts.p_onset : pts.p_offset + 1]
        if pts.p_onset is not None and pts.p_offset is not None
        else beat[:0]
    )
    return LeadMeasurements(
        lead=name,
        p_amplitude_mv=_round(_signed_extreme(p_wave)),
        q_amplitude_mv=_round(waves["q"]),
        r_amplitude_mv=_round(waves["r"]),
        s_amplitude_mv=_round(waves["s"]),
        r_prime_amplitude_mv=_round(waves["r_prime"]),
        qrs_peak_to_peak_mv=_round(float(np.ptp(qrs))),
        r_peak_time_ms=None if waves["rpt"] is None else round(waves["rpt"], 1),
        qrs_terminal_mv=_round(float(qrs[-n_term:].mean())),
        st_j_mv=_round(float(beat[off])),
        st_j60_mv=_round(float(beat[j60])) if j60 < beat.size else None,
        t_amplitude_mv=_round(_signed_extreme(t_wave)),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def frontal_axes(
    beats: FloatArray, names: tuple[str, ...], usable: list[bool], pts: BeatPoints, fs: float
) -> Axes:
    """P, QRS and T axes by the net-area method from the usable limb leads."""
    limb = {name: beats[i] for i, name in enumerate(names) if name in LEAD_ANGLE_DEG and usable[i]}
    p_window = None
    if pts.p_onset is not None and pts.p_offset is not None:
        p_window = (pts.p_onset, pts.p_offset + 1)
    t_window = None if pts.t_offset is None else (pts.qrs_offset, pts.t_offset + 1)
    return Axes(
        p_deg=_round1(wave_axis_deg(limb, fs, p_window)),
        qrs_deg=_round1(wave_axis_deg(limb, fs, (pts.qrs_onset, pts.qrs_offset + 1))),
        t_deg=_round1(wave_axis_deg(limb, fs, t_window)),
    )


def _round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
