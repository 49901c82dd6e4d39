"""Butterworth filter designs, computed once per order, band, kind and sampling rate.

Designing a filter (``scipy.signal.butter`` to second-order sections) takes about a millisecond,
as long as applying it to a 10 s 12-lead record; the analysis of one record used to design six.
Each call gets its own copy of the cached sections (scipy's filters want a writable array).
The QRS band of the R-peak detector is defined here too: the quality checks look at the same band.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import signal

from clarity.ecg.signal.validate import FloatArray

Kind = Literal["lowpass", "highpass", "bandpass"]

QRS_BAND_HZ = (5.0, 20.0)


def butter_sos(
    order: int, cutoff_hz: float | tuple[float, float], kind: Kind, fs: float
) -> FloatArray:
    """Second-order sections of a Butterworth filter (``cutoff_hz`` a pair for a band-pass)."""
    cutoff = (
        (float(cutoff_hz[0]), float(cutoff_hz[1]))
        if isinstance(cutoff_hz, tuple)
        else float(cutoff_hz)
    )
    return _design(int(order), cutoff, kind, float(fs)).copy()


@lru_cache(maxsize=256)
def _design(order: int, cutoff: float | tuple[float, float], kind: Kind, fs: float) -> FloatArray:
    band = list(cutoff) if isinstance(cutoff, tuple) else cutoff
    return np.asarray(signal.butter(order, band, btype=kind, fs=fs, output="sos"), dtype=np.float64)


def qrs_band_sos(fs: float) -> FloatArray:
    """The QRS band, 5-20 Hz (20 Hz capped at 0.45 fs), second-order Butterworth."""
    return butter_sos(2, (QRS_BAND_HZ[0], min(QRS_BAND_HZ[1], 0.45 * fs)), "bandpass", fs)
