"""Butterworth filter designs, computed once per order, band, kind and sampling rate.

Designing a filter (``scipy.signal.butter`` to second-order sections) takes about a millisecond,
as long as applying it to a 10 s 12-lead record; the analysis of one record used to design six.
Each call gets its own copy of the cached sections (scipy's filters want a writable array).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import signal

from clarity.ecg.signal.validate import FloatArray

Kind = Literal["lowpass", "highpass", "bandpass"]


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
