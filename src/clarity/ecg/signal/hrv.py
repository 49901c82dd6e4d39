"""Time-domain heart-rate variability from RR intervals, on normal-to-normal (NN) intervals only.

An interval is NN when both beats that bound it are normal (sinus / dominant) beats. Where beat
labels are known (from premature-beat classification or annotations) they decide; where they are
not, an interval that differs from the median of its neighbours by more than 20 % is treated as
ectopic together with the interval that follows it (the compensatory pause), after Kamath and
Fallen (1995). Successive differences (RMSSD, pNN50) only use pairs of *adjacent* NN intervals, so
an excluded beat never creates a spurious long-short difference.

References
----------
Task Force of the ESC and NASPE. Heart rate variability: standards of measurement, physiological
interpretation and clinical use. Circulation 1996;93:1043-1065.
Kamath MV, Fallen EL. Correction of the heart rate variability signal for ectopics and missing
beats. In: Malik M, Camm AJ (eds) Heart Rate Variability. Futura, 1995:75-85.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal.validate import FloatArray, check_fs

BoolArray = npt.NDArray[np.bool_]

ECTOPIC_TOLERANCE = 0.20  # Kamath & Fallen 1995: > 20 % from the local reference is not NN
_NEIGHBOURS = 5  # intervals each side for the local median reference
MIN_RR_MS = 200.0  # 300 bpm: anything shorter is a double detection, never a heartbeat
MAX_RR_MS = 3000.0  # 20 bpm: anything longer is a missed beat or a pause, not an NN interval


@dataclass(frozen=True)
class Hrv:
    """Time-domain HRV of one recording (Task Force 1996 definitions).

    Attributes
    ----------
    n_rr : number of RR intervals given.
    n_nn : number of them kept as normal-to-normal.
    mean_nn_ms, min_nn_ms, max_nn_ms : NN interval statistics (ms); None without NN intervals.
    sdnn_ms : sample standard deviation of the NN intervals (ms); None with fewer than 2.
    rmssd_ms : root mean square of successive differences of adjacent NN intervals (ms);
        None without an adjacent pair.
    pnn50 : fraction (0-1) of those successive differences larger than 50 ms; None without a pair.
    """

    n_rr: int
    n_nn: int
    mean_nn_ms: float | None
    min_nn_ms: float | None
    max_nn_ms: float | None
    sdnn_ms: float | None
    rmssd_ms: float | None
    pnn50: float | None

    @property
    def mean_hr_bpm(self) -> float | None:
        """Mean heart rate of the NN intervals (beats per minute)."""
        return None if self.mean_nn_ms is None else 60_000.0 / self.mean_nn_ms


def rr_intervals_ms(r_peak_idx: npt.ArrayLike, fs: float) -> FloatArray:
    """RR intervals (ms) between successive R peaks given as sample indices."""
    fs = check_fs(fs)
    peaks = np.asarray(r_peak_idx, dtype=np.float64)
    if peaks.ndim != 1:
        raise InvalidSignal(f"R peaks must be 1-D sample indices, got shape {peaks.shape}")
    if peaks.size > 1 and np.any(np.diff(peaks) <= 0):
        raise InvalidSignal("R peaks must be strictly increasing sample indices")
    return np.diff(peaks) * (1000.0 / fs)


def ectopic_mask(rr_ms: npt.ArrayLike, *, tolerance: float = ECTOPIC_TOLERANCE) -> BoolArray:
    """True for RR intervals that look ectopic from timing alone.

    An interval deviating by more than ``tolerance`` (fraction) from the median of its
    ``_NEIGHBOURS`` neighbours on each side is flagged, and so is the interval after it (the
    compensatory pause of a premature beat). Intervals outside 200-3000 ms are always flagged.
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    out = (rr < MIN_RR_MS) | (rr > MAX_RR_MS)
    if rr.size < 3:
        return out
    reference = local_median(rr, _NEIGHBOURS)
    deviant = np.abs(rr - reference) > tolerance * reference
    out |= deviant
    out[1:] |= deviant[:-1] & (rr[:-1] < reference[:-1])
    return out


def local_median(values: FloatArray, half_width: int) -> FloatArray:
    """Median of ``values[i - half_width : i + half_width + 1]`` without ``values[i]`` itself."""
    n = values.size
    padded = np.pad(values, half_width, mode="reflect" if n > half_width else "edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half_width + 1)
    others = np.delete(windows, half_width, axis=1)
    return np.asarray(np.median(others, axis=1), dtype=np.float64)


def nn_mask_from_labels(beat_is_normal: npt.ArrayLike) -> BoolArray:
    """True for RR interval ``i`` (beat ``i`` → ``i + 1``) when both beats are normal."""
    normal = np.asarray(beat_is_normal, dtype=bool)
    return np.asarray(normal[:-1] & normal[1:], dtype=bool)


def hrv_from_rr(rr_ms: npt.ArrayLike, *, nn: npt.ArrayLike | None = None) -> Hrv:
    """Time-domain HRV of RR intervals (ms).

    Parameters
    ----------
    rr_ms : RR intervals in milliseconds, in time order.
    nn : optional boolean mask, True where the interval is normal-to-normal (e.g. from
        :func:`nn_mask_from_labels`). Without it, :func:`ectopic_mask` decides.

    Returns
    -------
    Hrv
        Statistics that need more intervals than available are None, never guessed.
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    if rr.ndim != 1 or not np.isfinite(rr).all():
        raise InvalidSignal("RR intervals must be a 1-D array of finite numbers (ms)")
    keep = ~ectopic_mask(rr) if nn is None else np.asarray(nn, dtype=bool)
    if keep.shape != rr.shape:
        raise InvalidSignal(f"NN mask has shape {keep.shape}, RR intervals {rr.shape}")
    keep = keep & (rr >= MIN_RR_MS) & (rr <= MAX_RR_MS)
    nn_rr = rr[keep]
    pairs = keep[:-1] & keep[1:]
    diffs = np.diff(rr)[pairs] if rr.size > 1 else np.empty(0)
    return Hrv(
        n_rr=int(rr.size),
        n_nn=int(nn_rr.size),
        mean_nn_ms=float(nn_rr.mean()) if nn_rr.size else None,
        min_nn_ms=float(nn_rr.min()) if nn_rr.size else None,
        max_nn_ms=float(nn_rr.max()) if nn_rr.size else None,
        sdnn_ms=float(nn_rr.std(ddof=1)) if nn_rr.size > 1 else None,
        rmssd_ms=float(np.sqrt(np.mean(diffs**2))) if diffs.size else None,
        pnn50=float(np.mean(np.abs(diffs) > 50.0)) if diffs.size else None,
    )


def hrv_from_peaks(
    r_peak_idx: npt.ArrayLike, fs: float, *, beat_is_normal: npt.ArrayLike | None = None
) -> Hrv:
    """Time-domain HRV from R-peak sample indices, optionally with per-beat normal labels."""
    rr = rr_intervals_ms(r_peak_idx, fs)
    nn = None if beat_is_normal is None else nn_mask_from_labels(beat_is_normal)
    return hrv_from_rr(rr, nn=nn)


class RunningHrv:
    """Streaming accumulator of the same statistics, in constant memory.

    Feed RR intervals chunk by chunk with :meth:`update` (with their NN mask); :meth:`result`
    gives the :class:`Hrv` of everything seen. Mean and SDNN use Welford's algorithm, so long
    recordings do not lose precision. A pair of adjacent NN intervals spanning two chunks counts.
    """

    def __init__(self) -> None:
        self._n_rr = 0
        self._n = 0
        self._mean = 0.0
        self._m2 = 0.0
        self._min = np.inf
        self._max = -np.inf
        self._n_diff = 0
        self._sum_sq_diff = 0.0
        self._n_over_50 = 0
        self._last: float | None = None  # previous interval when it was NN

    def update(self, rr_ms: npt.ArrayLike, nn: npt.ArrayLike) -> None:
        """Add intervals (ms, in time order, following those already added) and their NN mask."""
        rr = np.asarray(rr_ms, dtype=np.float64)
        keep = np.asarray(nn, dtype=bool) & (rr >= MIN_RR_MS) & (rr <= MAX_RR_MS)
        self._n_rr += int(rr.size)
        for value, ok in zip(rr.tolist(), keep.tolist(), strict=True):
            self._add(value, ok)

    def _add(self, value: float, ok: bool) -> None:
        if not ok:
            self._last = None
            return
        self._n += 1
        delta = value - self._mean
        self._mean += delta / self._n
        self._m2 += delta * (value - self._mean)
        self._min, self._max = min(self._min, value), max(self._max, value)
        if self._last is not None:
            diff = value - self._last
            self._n_diff += 1
            self._sum_sq_diff += diff * diff
            self._n_over_50 += int(abs(diff) > 50.0)
        self._last = value

    def result(self) -> Hrv:
        """The statistics so far (None where there are too few intervals)."""
        n, nd = self._n, self._n_diff
        return Hrv(
            n_rr=self._n_rr,
            n_nn=n,
            mean_nn_ms=self._mean if n else None,
            min_nn_ms=float(self._min) if n else None,
            max_nn_ms=float(self._max) if n else None,
            sdnn_ms=float(np.sqrt(self._m2 / (n - 1))) if n > 1 else None,
            rmssd_ms=float(np.sqrt(self._sum_sq_diff / nd)) if nd else None,
            pnn50=self._n_over_50 / nd if nd else None,
        )
