"""Frontal-plane electrical axes (P, QRS, T) from the limb leads.

Each limb lead sees the projection of the frontal heart vector on its direction in the hexaxial
reference system (I 0°, II +60°, III +120°, aVR −150°, aVL −30°, aVF +90°; Einthoven, Goldberger).
For one wave, the net deflection of each available limb lead (net area above minus below the
baseline, or net amplitude: largest positive minus largest negative deflection) is one projection;
the vector that best explains all of them in the least-squares sense gives the axis. With only
leads I and aVF this is the classical ``atan2(aVF, I)``; with all six leads the redundancy averages
out noise in any one lead. The net-area method is the one recommended for computer measurement
(the mean vector is the integral over the wave); the net-amplitude method is the manual one.

The axis is None (indeterminate) when fewer than two non-parallel limb leads are available, when the
wave window is missing, or when the net vector is too small for its direction to mean anything
(an isoelectric wave in every lead).

References
----------
Kligfield P et al. Recommendations for the standardization and interpretation of the
electrocardiogram. Part I. Circulation 2007;115:1306-1324 (AHA/ACCF/HRS).
Surawicz B, Knilans TK. Chou's Electrocardiography in Clinical Practice, 6th ed. Saunders, 2008,
ch. 1 (hexaxial reference system, mean QRS axis by net area).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import InvalidSignal

AxisMethod = Literal["area", "amplitude"]

LEAD_ANGLE_DEG: dict[str, float] = {
    "I": 0.0, "II": 60.0, "III": 120.0, "aVR": -150.0, "aVL": -30.0, "aVF": 90.0,
}  # fmt: skip

# A net frontal vector smaller than this has no meaningful direction (isoelectric wave).
MIN_NET_AMPLITUDE_MV = 0.02
MIN_NET_AREA_MV_MS = 0.5


@dataclass(frozen=True)
class Axes:
    """Frontal P, QRS and T axes in degrees, in (−180, 180]; None when not computable."""

    p_deg: float | None
    qrs_deg: float | None
    t_deg: float | None


def frontal_axis_deg(net_by_lead: Mapping[str, float], *, min_magnitude: float) -> float | None:
    """Frontal axis (degrees, −180 to 180) from net deflections of the limb leads.

    Parameters
    ----------
    net_by_lead : net deflection (area in mV·ms or amplitude in mV) per limb lead name
        (I, II, III, aVR, aVL, aVF); other names are ignored.
    min_magnitude : smallest net vector length (same unit) whose direction is trusted.

    Returns
    -------
    float or None
        Least-squares direction of the frontal vector; None when fewer than two non-parallel
        limb leads are given or the vector is shorter than ``min_magnitude``.
    """
    names = [name for name in LEAD_ANGLE_DEG if name in net_by_lead]
    values = np.array([float(net_by_lead[name]) for name in names])
    if len(names) < 2 or not np.isfinite(values).all():
        return None
    angles = np.deg2rad([LEAD_ANGLE_DEG[name] for name in names])
    design = np.column_stack([np.cos(angles), np.sin(angles)])
    if np.linalg.matrix_rank(design) < 2:
        return None
    (x, y), *_ = np.linalg.lstsq(design, values, rcond=None)
    if np.hypot(x, y) < min_magnitude:
        return None
    angle = float(np.rad2deg(np.arctan2(y, x)))
    return 180.0 if angle == -180.0 else angle


def net_deflection(segment_mv: npt.ArrayLike, fs: float, *, method: AxisMethod = "area") -> float:
    """Net deflection of one wave in one lead, relative to a baseline already subtracted.

    ``"area"``: integral of the segment (mV·ms). ``"amplitude"``: largest positive plus largest
    negative deflection, i.e. max + min (mV), the manual R − |S| rule.
    """
    seg = np.asarray(segment_mv, dtype=np.float64)
    if seg.size == 0:
        raise InvalidSignal("empty wave segment")
    if method == "area":
        return float(seg.sum() * 1000.0 / fs)
    if method == "amplitude":
        return float(max(seg.max(), 0.0) + min(seg.min(), 0.0))
    raise InvalidSignal(f"unknown axis method {method!r}; use 'area' or 'amplitude'")


def wave_axis_deg(
    beats_mv: Mapping[str, npt.ArrayLike],
    fs: float,
    window_idx: tuple[int, int] | None,
    baseline_mv: Mapping[str, float] | None = None,
    *,
    method: AxisMethod = "area",
) -> float | None:
    """Axis of one wave from representative (median) beats of the limb leads.

    Parameters
    ----------
    beats_mv : representative beat per lead (mV), all on the same time base.
    fs : sampling frequency (Hz).
    window_idx : ``(start, stop)`` sample indices of the wave in the beats; None when the wave
        is absent (the axis is then None too).
    baseline_mv : isoelectric level per lead (mV), subtracted first; zero when not given.
    method : ``"area"`` (default, net area) or ``"amplitude"`` (net amplitude).
    """
    if window_idx is None:
        return None
    start, stop = window_idx
    if stop <= start:
        return None
    nets: dict[str, float] = {}
    for name in LEAD_ANGLE_DEG:
        if name not in beats_mv:
            continue
        beat = np.asarray(beats_mv[name], dtype=np.float64)
        if start < 0 or stop > beat.size:
            return None
        level = 0.0 if baseline_mv is None else float(baseline_mv.get(name, 0.0))
        nets[name] = net_deflection(beat[start:stop] - level, fs, method=method)
    threshold = MIN_NET_AREA_MV_MS if method == "area" else MIN_NET_AMPLITUDE_MV
    return frontal_axis_deg(nets, min_magnitude=threshold)
