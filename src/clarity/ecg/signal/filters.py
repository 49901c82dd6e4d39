"""Zero-phase ECG filters: baseline wander, powerline interference, band limits.

Every filter runs forward and backward (``sosfiltfilt``), so it has no phase delay: fiducial
points (R peaks, wave onsets) stay where they are, which delineation depends on. Filters act along
the last axis of a 1-D signal or an ``(n_leads, n_samples)`` array.

Long records are filtered in overlapping blocks: each block is extended by a margin at least as
long as the filter's impulse response (to 1e-9 of its peak), so the result equals filtering the whole
record to within rounding, while the working memory stays a few blocks of ``_BLOCK_SAMPLES`` samples
per lead (tens of MB) on top of the input and the float64 output. A 24 h two-lead record at 360 Hz
(62 M samples) thus needs its 500 MB output plus that, whatever the input's dtype.

References
----------
Kligfield P. et al. (2007). Recommendations for the standardization and interpretation of the
electrocardiogram, part I. Circulation 115(10):1306-1324 (bandwidth: 0.67 Hz high-pass is
acceptable with zero-phase filtering, 150 Hz low-pass for adults).
Luo S., Johnston P. (2010). A review of electrocardiogram filtering. J Electrocardiol
43(6):486-496.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from scipy import signal

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal._design import butter_sos
from clarity.ecg.signal.validate import FloatArray, as_signal, check_fs

__all__ = [
    "apply_sos",
    "bandpass",
    "clean",
    "default_lowpass_hz",
    "detect_powerline",
    "notch",
    "remove_baseline",
]

_BLOCK_SAMPLES = 1 << 20
_DECAY = 1e-9
_POWERLINE_CANDIDATES_HZ = (50.0, 60.0)
_POWERLINE_MIN_RATIO = 8.0
_POWERLINE_ANALYSIS_S = 60.0

SosArray = npt.NDArray[np.float64]


def _impulse_length(sos: SosArray) -> int:
    """Samples until the slowest pole of ``sos`` has decayed to ``_DECAY``."""
    poles = np.concatenate([np.roots(section[3:]) for section in sos])
    radius = float(np.max(np.abs(poles))) if poles.size else 0.0
    if radius <= 0.0:
        return 1
    return int(np.ceil(np.log(_DECAY) / np.log(min(radius, 1.0 - 1e-12))))


def _blocks(n_samples: int, margin: int) -> Iterator[tuple[int, int, int, int]]:
    """(outer_start, outer_stop, core_start, core_stop) of overlapping blocks covering the signal."""
    for core_start in range(0, n_samples, _BLOCK_SAMPLES):
        core_stop = min(core_start + _BLOCK_SAMPLES, n_samples)
        yield max(0, core_start - margin), min(n_samples, core_stop + margin), core_start, core_stop


def _raw_array(ecg: npt.ArrayLike, fs: float) -> npt.NDArray[np.generic]:
    """The input as an array without copying; shape and content are checked block by block."""
    arr = np.asarray(ecg)
    if arr.ndim not in (1, 2) or arr.dtype.kind not in "biuf":
        return as_signal(arr, fs)  # raises the right error, or converts odd dtypes once
    return arr


def apply_sos(ecg: npt.ArrayLike, fs: float, sos: SosArray) -> FloatArray:
    """Apply second-order sections forward and backward along the last axis, block by block.

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples)
        Signal in any unit (the output keeps it).
    fs : float
        Sampling frequency in Hz.
    sos : array, shape (n_sections, 6)
        Filter as second-order sections (``scipy.signal`` convention).

    Returns
    -------
    float64 array of the input's shape.

    Raises
    ------
    InvalidSignal, SignalTooShort
        Bad shape, NaN or infinite samples, bad ``fs``, no samples.
    """
    fs = check_fs(fs)
    raw = _raw_array(ecg, fs)
    out = np.empty(raw.shape, dtype=np.float64)
    if raw.shape[-1] == 0 or (raw.ndim == 2 and raw.shape[0] == 0):
        as_signal(raw, fs)  # raises SignalTooShort with the shared message
    margin = _impulse_length(sos)
    for lo, hi, core_lo, core_hi in _blocks(raw.shape[-1], margin):
        block = as_signal(raw[..., lo:hi], fs)
        padlen = min(margin, block.shape[-1] - 1)
        filtered = signal.sosfiltfilt(sos, block, axis=-1, padlen=padlen)
        out[..., core_lo:core_hi] = filtered[..., core_lo - lo : core_hi - lo]
    return out


def _highpass_sos(fs: float, cutoff_hz: float) -> SosArray:
    sos: SosArray = butter_sos(2, cutoff_hz, "highpass", fs)
    return sos


def _lowpass_sos(fs: float, cutoff_hz: float) -> SosArray:
    sos: SosArray = butter_sos(4, cutoff_hz, "lowpass", fs)
    return sos


def _notch_sos(fs: float, freq_hz: float, quality: float) -> SosArray:
    b, a = signal.iirnotch(freq_hz, quality, fs=fs)
    sos: SosArray = signal.tf2sos(b, a)
    return sos


def _check_cutoff(name: str, value_hz: float, fs: float) -> float:
    nyquist = fs / 2.0
    if not (0.0 < value_hz < nyquist):
        raise InvalidSignal(f"{name} {value_hz} Hz must be between 0 and {nyquist:g} Hz (fs/2)")
    return float(value_hz)


def remove_baseline(ecg: npt.ArrayLike, fs: float, *, cutoff_hz: float = 0.5) -> FloatArray:
    """Remove baseline wander with a zero-phase Butterworth high-pass.

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples)
        ECG, any unit (millivolts in Clarity).
    fs : float
        Sampling frequency in Hz.
    cutoff_hz : float
        Frequency in Hz where the (forward-backward, hence squared) response is -6 dB.
        0.5 Hz keeps the ST segment (AHA allows up to 0.67 Hz for zero-phase filters).

    Returns
    -------
    float64 array of the input's shape.
    """
    fs = check_fs(fs)
    return apply_sos(ecg, fs, _highpass_sos(fs, _check_cutoff("cutoff_hz", cutoff_hz, fs)))


def bandpass(
    ecg: npt.ArrayLike, fs: float, low_hz: float, high_hz: float, *, order: int = 2
) -> FloatArray:
    """Zero-phase Butterworth band-pass along the last axis.

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples)
    fs : float
        Sampling frequency in Hz.
    low_hz, high_hz : float
        Band edges in Hz (-6 dB points of the forward-backward response); ``high_hz`` below fs/2.
    order : int
        Butterworth order of each pass (the effective order is doubled).

    Returns
    -------
    float64 array of the input's shape.
    """
    fs = check_fs(fs)
    low = _check_cutoff("low_hz", low_hz, fs)
    high = _check_cutoff("high_hz", high_hz, fs)
    if low >= high:
        raise InvalidSignal(f"band {low_hz}-{high_hz} Hz is empty")
    sos: SosArray = butter_sos(order, (low, high), "bandpass", fs)
    return apply_sos(ecg, fs, sos)


def notch(ecg: npt.ArrayLike, fs: float, freq_hz: float, *, quality: float = 30.0) -> FloatArray:
    """Zero-phase IIR notch at ``freq_hz`` (bandwidth ``freq_hz / quality``, 1.7 Hz at 50 Hz).

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples)
    fs : float
        Sampling frequency in Hz.
    freq_hz : float
        Frequency to remove, in Hz, below fs/2.
    quality : float
        Quality factor Q of the notch.
    """
    fs = check_fs(fs)
    return apply_sos(ecg, fs, _notch_sos(fs, _check_cutoff("freq_hz", freq_hz, fs), quality))


def _analysis_excerpt(raw: npt.NDArray[np.generic], fs: float) -> FloatArray:
    """Up to ``_POWERLINE_ANALYSIS_S`` seconds from the middle of the record, as float64."""
    n = raw.shape[-1]
    span = min(n, int(_POWERLINE_ANALYSIS_S * fs))
    start = (n - span) // 2
    return as_signal(raw[..., start : start + span], fs)


def detect_powerline(ecg: npt.ArrayLike, fs: float) -> float | None:
    """Which mains frequency (50 or 60 Hz) is visibly present, or ``None``.

    A frequency counts when its spectral line (Welch PSD, 0.5 Hz resolution, summed over leads)
    stands ``_POWERLINE_MIN_RATIO`` times above the median PSD of the 10 Hz around it.
    Frequencies within 2 Hz of fs/2 or above are not considered (they cannot be notched).

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples)
    fs : float
        Sampling frequency in Hz.
    """
    fs = check_fs(fs)
    excerpt = _analysis_excerpt(_raw_array(ecg, fs), fs)
    nperseg = min(excerpt.shape[-1], int(2 * fs))
    if nperseg < 16:
        return None
    freqs_hz, psd = signal.welch(excerpt, fs=fs, nperseg=nperseg, axis=-1)
    psd = psd.reshape(-1, freqs_hz.size).sum(axis=0)
    best: tuple[float, float] | None = None
    for mains_hz in _POWERLINE_CANDIDATES_HZ:
        if mains_hz > fs / 2.0 - 2.0:
            continue
        line = np.abs(freqs_hz - mains_hz) <= 0.75
        around = (np.abs(freqs_hz - mains_hz) <= 5.0) & ~(np.abs(freqs_hz - mains_hz) <= 1.5)
        floor = float(np.median(psd[around])) if around.any() else 0.0
        ratio = float(psd[line].max()) / floor if floor > 0.0 else 0.0
        if ratio >= _POWERLINE_MIN_RATIO and (best is None or ratio > best[1]):
            best = (mains_hz, ratio)
    return None if best is None else best[0]


def default_lowpass_hz(fs: float) -> float:
    """Upper band edge used by :func:`clean`: 150 Hz (AHA, adults), at most 0.45 fs."""
    return min(150.0, 0.45 * check_fs(fs))


def clean(
    ecg: npt.ArrayLike,
    fs: float,
    *,
    powerline_hz: float | None = None,
    highpass_hz: float = 0.5,
    lowpass_hz: float | None = None,
) -> FloatArray:
    """Standard ECG conditioning: baseline removal, mains notch, band limit, all zero-phase.

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples)
        ECG in millivolts (any unit works), 80 Hz to several kHz.
    fs : float
        Sampling frequency in Hz.
    powerline_hz : float or None
        Mains frequency to notch (50 or 60 Hz) with its harmonics below the low-pass edge.
        ``None`` detects it (:func:`detect_powerline`) and notches nothing when no line is
        visible; ``0`` disables the notch. A frequency at or above fs/2 - 2 Hz is skipped: it
        cannot be notched at that rate and the low-pass already removes what aliasing allows.
    highpass_hz : float
        Baseline wander cut-off in Hz (see :func:`remove_baseline`).
    lowpass_hz : float or None
        Upper band edge in Hz; ``None`` uses :func:`default_lowpass_hz` (150 Hz, at most 0.45 fs).

    Returns
    -------
    float64 array of the input's shape.

    Raises
    ------
    InvalidSignal, SignalTooShort
        Bad shape, NaN or infinite samples, bad ``fs`` or cut-offs, no samples.
    """
    fs = check_fs(fs)
    raw = _raw_array(ecg, fs)
    low_edge_hz = default_lowpass_hz(fs) if lowpass_hz is None else lowpass_hz
    sections = [
        _highpass_sos(fs, _check_cutoff("highpass_hz", highpass_hz, fs)),
        _lowpass_sos(fs, _check_cutoff("lowpass_hz", low_edge_hz, fs)),
    ]
    mains_hz = detect_powerline(raw, fs) if powerline_hz is None else float(powerline_hz)
    if mains_hz and mains_hz > 0.0:
        harmonic_hz = mains_hz
        while harmonic_hz <= min(low_edge_hz, fs / 2.0 - 2.0):
            sections.append(_notch_sos(fs, harmonic_hz, 30.0))
            harmonic_hz += mains_hz
    return apply_sos(raw, fs, np.concatenate(sections, axis=0))
