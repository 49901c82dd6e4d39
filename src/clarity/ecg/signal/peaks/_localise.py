"""Place each detected QRS on its R peak (or dominant deflection), on a broadband signal.

The envelope maximum only says where the QRS energy is. Two steps pin the fiducial point:

1. coarse: the largest absolute value of the 5-20 Hz band within 80 ms of the envelope peak (the
   steepest, largest deflection; immune to baseline wander and P/T waves);
2. fine: within 40 ms of it, the extremum of a 1-40 Hz zero-phase band (shape-preserving) that
   departs most from the local baseline (the median of a 200 ms window). The polarity that
   dominates the record (the sign most beats choose) is kept unless the other deflection of a beat
   is 1.5 times larger, so equiphasic (RS) complexes do not jump between R and S from beat to
   beat; an inverted-QRS lead or a PVC of opposite polarity still gets its dominant deflection.

A flat-topped (clipped) extremum resolves to the middle of its plateau.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from clarity.ecg.signal._design import butter_sos
from clarity.ecg.signal.validate import FloatArray, IndexArray

COARSE_S = 0.080
FINE_S = 0.040
BASELINE_S = 0.100
SHAPE_BAND_HZ = (1.0, 40.0)
POLARITY_OVERRIDE = 1.5


def shape_band(x: FloatArray, fs: float) -> FloatArray:
    """Zero-phase 1-40 Hz band (40 Hz capped at 0.45 fs) of each lead."""
    high_hz = min(SHAPE_BAND_HZ[1], 0.45 * fs)
    sos = butter_sos(2, (SHAPE_BAND_HZ[0], high_hz), "bandpass", fs)
    padlen = min(x.shape[-1] - 1, int(2 * fs))
    out: FloatArray = signal.sosfiltfilt(sos, x, axis=-1, padlen=padlen)
    return out


def _window(centre_idx: IndexArray, half: int, n: int) -> IndexArray:
    idx: IndexArray = np.clip(centre_idx[:, None] + np.arange(-half, half + 1)[None, :], 0, n - 1)
    return idx


def _plateau_middle(values: FloatArray, use_max: bool) -> IndexArray:
    """Column of the extremum of each row; the middle of a flat extremum (clipping)."""
    rows = values if use_max else -values
    first = np.argmax(rows, axis=1)
    last = rows.shape[1] - 1 - np.argmax(rows[:, ::-1], axis=1)
    middle: IndexArray = ((first + last) // 2).astype(np.int64)
    return middle


def localise(peak_idx: IndexArray, band: FloatArray, shape: FloatArray, fs: float) -> IndexArray:
    """R-peak sample of each envelope peak, for one lead (``band`` and ``shape`` are 1-D)."""
    if peak_idx.size == 0:
        return np.empty(0, dtype=np.int64)
    n = shape.size
    rows = np.arange(peak_idx.size)
    around = _window(peak_idx, int(COARSE_S * fs), n)
    coarse = around[rows, np.argmax(np.abs(band[around]), axis=1)]
    fine = _window(coarse, max(1, int(FINE_S * fs)), n)
    values = shape[fine]
    baseline = np.median(shape[_window(coarse, int(BASELINE_S * fs), n)], axis=1)
    rise = values.max(axis=1) - baseline
    fall = baseline - values.min(axis=1)
    dominant_up = bool(np.sum(rise >= fall) * 2 >= rise.size)
    up = ~(fall > POLARITY_OVERRIDE * rise) if dominant_up else rise > POLARITY_OVERRIDE * fall
    col = np.where(up, _plateau_middle(values, True), _plateau_middle(values, False))
    located: IndexArray = fine[rows, col]
    return located
