"""Global intervals and representative fiducial points from a (global) delineation.

Representative values are medians over the dominant beats, as the 12-lead programs report them
(Kligfield et al. 2007, Part I: global intervals from the earliest onset and latest offset across
leads, which the global delineation provides). A wave counts as present when the delineation found
it in at least half of the dominant beats; otherwise its intervals are None.

QT correction uses the mean RR of the record: Bazett (QT/RR^1/2) and Fridericia (QT/RR^1/3), RR in
seconds.

References
----------
Kligfield P et al. Recommendations for the standardization and interpretation of the
electrocardiogram. Part I. Circulation 2007;115:1306-1324.
Bazett HC. An analysis of the time-relations of electrocardiograms. Heart 1920;7:353-370.
Fridericia LS. Die Systolendauer im Elektrokardiogramm bei normalen Menschen und bei
Herzkranken. Acta Med Scand 1920;53:469-486.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal.delineate import Delineation

BoolArray = npt.NDArray[np.bool_]
MIN_PRESENT_FRACTION = 0.5


@dataclass(frozen=True)
class Representative:
    """Median fiducial points relative to the R peak (samples), None when absent."""

    p_onset: int | None
    p_offset: int | None
    qrs_onset: int | None
    qrs_offset: int | None
    t_offset: int | None


@dataclass(frozen=True)
class Intervals:
    """Global intervals (ms), None when a wave they need is absent."""

    pr_ms: float | None
    p_duration_ms: float | None
    qrs_duration_ms: float | None
    qt_ms: float | None
    qtc_bazett_ms: float | None
    qtc_fridericia_ms: float | None


def _median_span(d: Delineation, start: str, stop: str, dominant: BoolArray) -> float | None:
    """Median of ``stop − start`` (samples) over dominant beats having both, if enough do."""
    a, b = d.point(start), d.point(stop)
    ok = dominant & (a >= 0) & (b >= 0) & (b > a)
    if ok.sum() == 0 or ok.sum() < MIN_PRESENT_FRACTION * dominant.sum():
        return None
    return float(np.median(b[ok] - a[ok]))


def representative(d: Delineation, dominant: BoolArray) -> Representative:
    """Median position of each fiducial point relative to the beat's R peak."""

    def rel(name: str) -> int | None:
        points = d.point(name)
        ok = dominant & (points >= 0)
        if ok.sum() == 0 or ok.sum() < MIN_PRESENT_FRACTION * dominant.sum():
            return None
        return int(np.round(np.median(points[ok] - d.r_peak[ok])))

    return Representative(
        rel("p_onset"), rel("p_offset"), rel("qrs_onset"), rel("qrs_offset"), rel("t_offset")
    )


def intervals(d: Delineation, dominant: BoolArray, rr_mean_ms: float | None) -> Intervals:
    """PR, P duration, QRS duration, QT and both QTc from the dominant beats."""
    to_ms = 1000.0 / d.fs

    def ms(start: str, stop: str) -> float | None:
        span = _median_span(d, start, stop, dominant)
        return None if span is None else span * to_ms

    qt = ms("qrs_onset", "t_offset")
    rr_s = None if rr_mean_ms is None else rr_mean_ms / 1000.0
    return Intervals(
        pr_ms=ms("p_onset", "qrs_onset"),
        p_duration_ms=ms("p_onset", "p_offset"),
        qrs_duration_ms=ms("qrs_onset", "qrs_offset"),
        qt_ms=qt,
        qtc_bazett_ms=None if qt is None or rr_s is None else qt / rr_s**0.5,
        qtc_fridericia_ms=None if qt is None or rr_s is None else qt / rr_s ** (1 / 3),
    )


def qrs_widths_ms(d: Delineation) -> npt.NDArray[np.float64]:
    """Per-beat QRS duration (ms), NaN where onset or offset is missing."""
    on, off = d.qrs_onset, d.qrs_offset
    ok = (on >= 0) & (off > on)
    return np.where(ok, (off - on) * 1000.0 / d.fs, np.nan)


def p_wave_fraction(d: Delineation, beats: BoolArray) -> float | None:
    """Fraction of the selected beats with a P wave (onset or apex found)."""
    if not beats.any():
        return None
    has_p = (d.p_onset >= 0) | (d.p_peak >= 0)
    return float(has_p[beats].mean())
