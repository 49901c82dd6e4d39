"""Multiscale Gaussian-derivative transform and window tensors shared by the delineators.

The derivative of a Gaussian is the continuous counterpart of the quadratic-spline wavelet of
Martinez et al. (2004): at scale ``sigma`` it is a band-pass that peaks near ``1/(2 pi sigma)``
Hz, and its modulus maxima sit on the steepest slopes of a wave while its zero crossings sit on
the wave's apex. Scales are given in seconds, so the same constants serve 80 Hz to 1 kHz.
Filtering is done once per scale in the frequency domain (zero phase, reflect-padded), which is
several times faster than direct convolution at the P/T scales.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.fft import irfft, next_fast_len, rfft, rfftfreq
from scipy.ndimage import maximum_filter1d

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_MIN_SIGMA_SAMPLES = 0.5


def gaussian_bank(
    ecg: FloatArray, fs: float, sigmas_s: Sequence[float], decimation: int = 1
) -> list[tuple[FloatArray, FloatArray]]:
    """Zero-phase Gaussian smoothing at each scale: ``(level mV, slope mV/s)`` pairs.

    Filtering runs along the last axis in the frequency domain, on a reflect-padded copy. With
    ``decimation`` q > 1 the outputs are sampled at ``fs / q`` (sample ``j`` is input sample
    ``j * q``) by truncating the spectrum, which the Gaussian has already emptied above the new
    Nyquist rate for the scales used here. The slope is the central difference of the level:
    the derivative of a Gaussian, i.e. the wavelet transform at that scale.
    """
    q = max(int(decimation), 1)
    n_samples = ecg.shape[-1]
    sigmas = [max(sigma_s, _MIN_SIGMA_SAMPLES * q / fs) for sigma_s in sigmas_s]
    pad = min(int(np.ceil(4.0 * max(sigmas) * fs)) + 1, n_samples - 1)
    pad -= pad % q
    widths = [(0, 0)] * (ecg.ndim - 1) + [(pad, pad)]
    padded = np.pad(ecg, widths, mode="reflect") if pad > 0 else ecg
    n_out = next_fast_len(-(-(padded.shape[-1] + pad) // q), real=True)
    n_fft = n_out * q
    spectrum = rfft(padded, n_fft, axis=-1)[..., : n_out // 2 + 1]
    omega = 2.0 * np.pi * rfftfreq(n_fft, 1.0 / fs)[: n_out // 2 + 1]
    n_kept = -(-n_samples // q)
    out = []
    for sigma_s in sigmas:
        response = np.exp(-0.5 * (omega * sigma_s) ** 2) / q
        level = irfft(spectrum * response, n_out, axis=-1)[..., pad // q : pad // q + n_kept]
        out.append((level, np.gradient(level, axis=-1) * (fs / q)))
    return out


def gather(
    signal: FloatArray, anchor_idx: IndexArray, offsets: IndexArray
) -> tuple[FloatArray, BoolArray]:
    """Windows ``signal[lead, anchor + offsets]`` as an (n_leads, n_beats, n_offsets) tensor.

    ``anchor_idx`` is (n_beats,) or (n_leads, n_beats). Samples outside the record read as 0 and
    are False in the returned validity mask.
    """
    n_leads, n_samples = signal.shape
    anchors = np.broadcast_to(anchor_idx, (n_leads, np.shape(anchor_idx)[-1]))
    idx = anchors[..., None] + offsets
    valid = (idx >= 0) & (idx < n_samples)
    flat = np.minimum(np.maximum(idx, 0), n_samples - 1)
    flat += (np.arange(n_leads) * n_samples)[:, None, None]
    values = np.take(signal, flat)
    values[~valid] = 0.0
    return values, valid


def first_true(mask: BoolArray) -> IndexArray:
    """Index of the first True along the last axis, -1 where there is none."""
    idx = np.argmax(mask, axis=-1)
    return np.where(mask.any(axis=-1), idx, -1).astype(np.int64)


def last_true(mask: BoolArray) -> IndexArray:
    """Index of the last True along the last axis, -1 where there is none."""
    idx = mask.shape[-1] - 1 - np.argmax(mask[..., ::-1], axis=-1)
    return np.where(mask.any(axis=-1), idx, -1).astype(np.int64)


def take(values: FloatArray, idx: IndexArray) -> FloatArray:
    """``values[..., idx]`` per window (``idx`` of the leading shape, clipped to the window)."""
    safe = np.minimum(np.maximum(idx, 0), values.shape[-1] - 1)
    return np.take_along_axis(values, safe[..., None], axis=-1)[..., 0]


def local_maxima(values: FloatArray) -> BoolArray:
    """Samples not lower than their left neighbour and higher than their right one."""
    mask = np.zeros(values.shape, dtype=bool)
    mask[..., 1:-1] = (values[..., 1:-1] >= values[..., :-2]) & (
        values[..., 1:-1] > values[..., 2:]
    )
    return mask


def slope_span(
    magnitude: FloatArray,
    valid: BoolArray,
    main_idx: IndexArray,
    significant: BoolArray,
    gap_n: int,
) -> tuple[IndexArray, IndexArray]:
    """First and last significant slope maxima of the wave whose steepest slope is ``main_idx``.

    The wave is the stretch of ``significant`` samples around ``main_idx``, with gaps shorter
    than ``gap_n`` samples bridged (the slope vanishes at every apex inside a wave).
    """
    k = np.arange(magnitude.shape[-1])
    centre = main_idx[..., None]
    significant = significant & valid
    bridged = maximum_filter1d(significant.view(np.uint8), size=max(gap_n, 1), axis=-1) > 0
    left = last_true(~bridged & (k < centre)) + 1
    right = first_true(~bridged & (k > centre))
    right = np.where(right < 0, k.size, right) - 1
    peaks = local_maxima(magnitude) & significant
    first_max = first_true(peaks & (k >= left[..., None]) & (k <= centre))
    last_max = last_true(peaks & (k <= right[..., None]) & (k >= centre))
    return np.where(first_max < 0, main_idx, first_max), np.where(last_max < 0, main_idx, last_max)


def threshold_bounds(
    magnitude: FloatArray,
    valid: BoolArray,
    first_max: IndexArray,
    last_max: IndexArray,
    xi_on: float,
    xi_off: float,
    stop_at_minimum: bool = False,
    floor: FloatArray | float = 0.0,
) -> tuple[IndexArray, IndexArray]:
    """Onset and end of a wave from its outermost slopes (Martinez et al. 2004).

    The onset is where the slope modulus falls below ``xi_on`` x its value at ``first_max``,
    searching backwards; the end where it falls below ``xi_off`` x its value at ``last_max``,
    searching forwards; with ``stop_at_minimum`` also at the first local minimum of the modulus
    on the way. ``floor`` bounds the reference slopes from below, so that a faint first or last
    deflection does not push the threshold into the noise. -1 where the search runs out of the
    valid window.
    """
    k = np.arange(magnitude.shape[-1])
    floor = np.asarray(floor)
    low_on = magnitude < xi_on * np.maximum(take(magnitude, first_max), floor)[..., None]
    low_off = magnitude < xi_off * np.maximum(take(magnitude, last_max), floor)[..., None]
    if stop_at_minimum:
        minima = local_maxima(-magnitude)
        low_on |= minima
        low_off |= minima
    onset = last_true((low_on | ~valid) & (k < first_max[..., None]))
    end = first_true((low_off | ~valid) & (k > last_max[..., None]))
    valid_f = valid.astype(np.float64)
    onset = np.where((onset >= 0) & (take(valid_f, onset) > 0), onset, -1)
    end = np.where((end >= 0) & (take(valid_f, end) > 0), end, -1)
    return onset, end


def trapezium_bound(
    level: FloatArray,
    slope: FloatArray,
    valid: BoolArray,
    limb_idx: IndexArray,
    reach_n: int,
    direction: int,
) -> IndexArray:
    """Where a wave limb meets the baseline, by the trapezium-area method.

    From the steepest point ``xm`` of the limb (``limb_idx``) towards a reference point ``xr``
    up to ``reach_n`` samples away (``direction`` +1: the end, after the limb; -1: the onset,
    before it; ``xr`` stops at the edge of the valid window), the bound is the point ``x``
    that maximises the area of the trapezium ``(xm, level(xm)), (x, level(x)), (xr, level(x)),
    (xr, level(xm))``: the knee where the limb flattens, found without a slope threshold
    (Vazquez-Seisdedos et al. 2011). Returns window indices, -1 when there is no room.
    """
    k = np.arange(level.shape[-1])
    xm = limb_idx[..., None]
    ahead = direction * (k - xm)
    room = valid & (ahead > 0) & (ahead <= reach_n)
    # the reachable run is the valid stretch that starts right next to xm
    reach = first_true(~room & (ahead > 0)) if direction > 0 else last_true(~room & (ahead > 0))
    reach = np.where(reach < 0, (k.size - 1) if direction > 0 else 0, reach - direction)
    xr = reach[..., None]
    between = room & (direction * (xr - k) >= 0)
    drop = -np.sign(direction * take(slope, limb_idx))[..., None] * (
        take(level, limb_idx)[..., None] - level
    )
    area = np.where(between, drop * np.abs(2 * xr - xm - k), -np.inf)
    bound = np.argmax(area, axis=-1).astype(np.int64)
    return np.where(between.sum(axis=-1) >= 2, bound, -1)


@dataclass(frozen=True)
class Runs:
    """Monotone runs of a smoothed signal inside each window (flat numbering over all windows).

    A run is a stretch where the slope keeps its sign: one limb of one deflection.
    """

    run_of: IndexArray  # (..., K): run number of every sample
    window: IndexArray  # per run: flat window number
    peak_idx: IndexArray  # per run: window index of its steepest sample
    peak_slope: FloatArray  # per run: its largest slope modulus
    height: FloatArray  # per run: its height (mV)
    inside: BoolArray  # per run: wholly inside the valid part of its window

    @classmethod
    def of(cls, smooth: FloatArray, slope: FloatArray, valid: BoolArray) -> Runs:
        """Runs of every window of ``smooth`` (with ``slope`` its derivative)."""
        n_k = smooth.shape[-1]
        rising = (slope >= 0).reshape(-1, n_k)
        inside = valid.reshape(-1, n_k)
        starts = np.ones(rising.shape, dtype=bool)
        starts[:, 1:] = (rising[:, 1:] != rising[:, :-1]) | (inside[:, 1:] != inside[:, :-1])
        start_idx = np.flatnonzero(starts.reshape(-1))
        flat_s = smooth.reshape(-1)
        flat_m = np.abs(slope).reshape(-1)
        lengths = np.diff(np.append(start_idx, flat_s.size))
        run_of = np.repeat(np.arange(start_idx.size), lengths)
        peak_slope = np.maximum.reduceat(flat_m, start_idx)
        at_peak = np.flatnonzero(flat_m == peak_slope[run_of])
        _, first = np.unique(run_of[at_peak], return_index=True)
        return cls(
            run_of=run_of.reshape(smooth.shape),
            window=start_idx // n_k,
            peak_idx=at_peak[first] % n_k,
            peak_slope=peak_slope,
            height=np.maximum.reduceat(flat_s, start_idx) - np.minimum.reduceat(flat_s, start_idx),
            inside=np.minimum.reduceat(valid.reshape(-1), start_idx),
        )

    def best_pair(self, n_windows: int, max_span: int) -> tuple[IndexArray, FloatArray, FloatArray]:
        """Per window, the first run of the most prominent pair of consecutive runs (a wave's
        two limbs), prominence being the smaller of the two heights (mV, 0 when none), and the
        prominence of the best pair that shares no run with it (a rival wave).

        A one-sided drift is a single tall run and scores low; a wave scores its amplitude.
        Both runs must be inside the valid window with their steepest points at most
        ``max_span`` samples apart.
        """
        n_runs = self.window.size
        nxt = np.minimum(np.arange(n_runs) + 1, n_runs - 1)
        ok = (self.window[nxt] == self.window) & self.inside & self.inside[nxt]
        ok &= (self.peak_idx[nxt] - self.peak_idx) <= max_span
        score = np.where(ok, np.minimum(self.height, self.height[nxt]), 0.0)
        best, best_score = self._window_max(score, n_windows)
        run_no = np.arange(n_runs)
        near = np.abs(run_no - best[self.window]) <= 1
        _, rival_score = self._window_max(np.where(near, 0.0, score), n_windows)
        return best, best_score, rival_score

    def _window_max(self, score: FloatArray, n_windows: int) -> tuple[IndexArray, FloatArray]:
        order = np.lexsort((-score, self.window))
        windows, first = np.unique(self.window[order], return_index=True)
        best = np.zeros(n_windows, dtype=np.int64)
        best_score = np.zeros(n_windows)
        best[windows] = order[first]
        best_score[windows] = score[order[first]]
        return best, best_score

    def extend(
        self,
        slope_idx: IndexArray,
        step: int,
        min_height: FloatArray,
        min_slope: FloatArray,
        n_steps: int,
        max_shift: int,
    ) -> IndexArray:
        """Move each steepest-slope index to the neighbouring run(s) (``step`` -1 before, +1
        after) while they are real deflections: taller than ``min_height``, steeper than
        ``min_slope``, with their steepest point at most ``max_shift`` samples away.
        Returns the new window indices."""
        run = np.take_along_axis(self.run_of, np.clip(slope_idx, 0, None)[..., None], -1)[..., 0]
        for _ in range(n_steps):
            nxt = np.clip(run + step, 0, self.window.size - 1)
            ok = (self.window[nxt] == self.window[run]) & (nxt != run)
            ok &= (self.height[nxt] >= min_height) & (self.peak_slope[nxt] >= min_slope)
            ok &= np.abs(self.peak_idx[nxt] - self.peak_idx[run]) <= max_shift
            run = np.where(ok, nxt, run)
        return np.where(slope_idx >= 0, self.peak_idx[run], slope_idx)
