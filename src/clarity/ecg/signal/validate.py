"""Input checks shared by every signal function: one place that turns bad arrays into typed errors."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import InvalidSignal, SignalTooShort
from clarity.ecg.waveform import MAX_FS_HZ, MIN_FS_HZ

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]


def check_fs(fs: float) -> float:
    """``fs`` as a float, or ``InvalidSignal`` if it is not a usable ECG sampling rate."""
    try:
        value = float(fs)
    except (TypeError, ValueError):
        raise InvalidSignal(f"sampling rate must be a number, got {fs!r}") from None
    if not np.isfinite(value) or not (MIN_FS_HZ <= value <= MAX_FS_HZ):
        raise InvalidSignal(f"sampling rate {fs} Hz is outside {MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz")
    return value


def as_signal(
    ecg: npt.ArrayLike, fs: float, *, min_duration_s: float = 0.0, allow_2d: bool = True
) -> FloatArray:
    """Validate an ECG array (1-D, or ``(n_leads, n_samples)``) and return it as float64.

    Raises
    ------
    InvalidSignal
        Wrong shape, non-numeric, NaN or infinite samples, bad sampling rate.
    SignalTooShort
        Fewer than ``min_duration_s`` seconds of samples.
    """
    fs = check_fs(fs)
    try:
        arr = np.asarray(ecg, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidSignal("ECG samples must be numbers") from None
    if arr.ndim not in ((1, 2) if allow_2d else (1,)):
        expected = "1-D or (leads, samples)" if allow_2d else "1-D"
        raise InvalidSignal(f"ECG array must be {expected}, got shape {arr.shape}")
    if arr.shape[-1] == 0 or (arr.ndim == 2 and arr.shape[0] == 0):
        raise SignalTooShort("ECG has no samples")
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise InvalidSignal(f"ECG has {bad} NaN or infinite samples")
    if arr.shape[-1] < min_duration_s * fs:
        raise SignalTooShort(
            f"ECG is {arr.shape[-1] / fs:.2f} s long; at least {min_duration_s:g} s is needed"
        )
    return arr
