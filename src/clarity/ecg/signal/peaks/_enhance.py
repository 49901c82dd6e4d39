"""QRS enhancement: band-passed slope energy, per lead, fused across leads by signal quality.

The QRS complex is the part of the ECG with the most energy in its slope between about 5 and
20 Hz; P and T waves are slower and baseline wander far slower. The enhanced signal is the RMS of
the derivative of the 5-20 Hz band over a 100 ms window (one QRS width), which peaks once per QRS
whatever its polarity or shape, and scales linearly with amplitude.

With several leads, each lead's envelope is divided by its own QRS level and weighted by its
contrast (QRS level over background level) in 10 s windows, so a flat, disconnected or noisy lead
fades out instead of drowning the others; the weighted leads are combined by a power mean of
exponent 1/2, so an artefact in a single lead counts for less than a QRS seen in all of them.

``background`` gives the level of the envelope between QRS complexes (median over
``BACKGROUND_S = 4`` s, a few beats, leaving out 100 ms either side of each known QRS): P and T
waves in a clean ECG, raised by muscle noise or electrode motion. The beat tracker compares it
with the QRS level to judge the local signal-to-noise ratio; an upper quantile of the same
samples (``NOISE_PEAK_QUANTILE``, the 90th percentile) tells how high the bursts of noise reach.

References
----------
Pan J., Tompkins W. J. (1985). A real-time QRS detection algorithm. IEEE Trans Biomed Eng
32(3):230-236 (band-pass, derivative, squaring, moving-window integration).
Hamilton P. S., Tompkins W. J. (1986). Quantitative investigation of QRS detection rules using
the MIT/BIH arrhythmia database. IEEE Trans Biomed Eng 33(12):1157-1165.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal
from scipy.ndimage import uniform_filter1d

from clarity.ecg.signal._design import qrs_band_sos
from clarity.ecg.signal.validate import FloatArray, IndexArray

ENVELOPE_S = 0.10
QUALITY_WINDOW_S = 10.0
_QRS_QUANTILE = 0.98
_FLOOR_QUANTILE = 0.5
_MIN_CONTRAST = 2.0
FUSION_POWER = 0.5
BACKGROUND_S = 4.0
NOISE_PEAK_QUANTILE = 0.9


@dataclass(frozen=True)
class Enhanced:
    """QRS-enhanced view of a (chunk of a) multi-lead ECG.

    Attributes
    ----------
    band : (n_leads, n) 5-20 Hz band of each lead, signal units.
    envelope : (n,) fused RMS slope envelope (units of the leads' slope, or relative when fused).
    slope : (n,) fused absolute slope, same scaling as ``envelope``.
    weights : (n_leads, n) per-lead fusion weights (all ones for a single lead).
    """

    band: FloatArray
    envelope: FloatArray
    slope: FloatArray
    weights: FloatArray


def qrs_band(x: FloatArray, fs: float) -> FloatArray:
    """Zero-phase 5-20 Hz band of each lead (the chunk is small: no block splitting needed)."""
    padlen = min(x.shape[-1] - 1, int(fs))
    band: FloatArray = signal.sosfiltfilt(qrs_band_sos(fs), x, axis=-1, padlen=padlen)
    return band


def _window_levels(envelope: FloatArray, fs: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-window QRS level and background level of each lead, and the window centres (samples).

    The envelope is smooth (100 ms moving RMS), so every ``fs / 100``-th sample is enough.
    """
    n = envelope.shape[-1]
    win = min(n, max(1, int(QUALITY_WINDOW_S * fs)))
    n_win = n // win
    step = max(1, int(fs / 100.0))
    parts = envelope[:, : n_win * win].reshape(envelope.shape[0], n_win, win)[..., ::step]
    qrs, floor = np.quantile(parts, [_QRS_QUANTILE, _FLOOR_QUANTILE], axis=-1)
    centres = (np.arange(n_win) + 0.5) * win
    return qrs, floor, centres


def _lead_weights(envelope: FloatArray, fs: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-window weight of each lead, ``log(contrast / 2)`` floored at 0, with levels and centres.

    The contrast is the QRS level over the background level of the envelope (98th percentile
    over median in 10 s). White noise has about 1.8, a readable ECG 5 to 30: below 2 nothing
    stands out as a QRS complex.
    """
    qrs, floor, centres = _window_levels(envelope, fs)
    tiny = np.finfo(np.float64).tiny
    contrast = qrs / np.maximum(floor, tiny)
    weights = np.where(qrs > tiny, np.log(np.maximum(contrast, 1.0) / _MIN_CONTRAST), 0.0)
    return np.clip(weights, 0.0, None), np.maximum(qrs, tiny), centres


def _per_sample(rows: FloatArray, centres: FloatArray, n: int) -> FloatArray:
    """Linear interpolation of per-window values to every sample."""
    samples = np.arange(n)
    out: FloatArray = np.stack([np.interp(samples, centres, row) for row in rows])
    return out


def _fuse(envelope: FloatArray, slope: FloatArray, fs: float) -> tuple[FloatArray, ...]:
    """Quality-weighted power mean (exponent 1/2) of level-normalised leads.

    The square-root mean sits between the arithmetic mean (one lead's artefact passes at half
    height) and the geometric mean (a QRS nearly isoelectric in one lead is crushed). In a
    window where no lead shows a QRS (all weights 0) the fused envelope is 0.
    """
    weight_win, qrs, centres = _lead_weights(envelope, fs)
    if not np.any(weight_win > 0):  # no lead stands out anywhere: treat them alike
        weight_win = np.ones_like(weight_win)
    n = envelope.shape[-1]
    scale = _per_sample(qrs, centres, n)
    weights = _per_sample(weight_win, centres, n)
    total = np.maximum(weights.sum(axis=0), np.finfo(np.float64).tiny)
    fused_env = _mean(weights, envelope / scale, total)
    fused_slope = _mean(weights, slope / scale, total)
    return fused_env, fused_slope, weights


def _mean(weights: FloatArray, values: FloatArray, total: FloatArray) -> FloatArray:
    """Weighted power mean of exponent ``FUSION_POWER`` over the leads (axis 0)."""
    powered = (weights * values**FUSION_POWER).sum(axis=0) / total
    out: FloatArray = powered ** (1.0 / FUSION_POWER)
    return out


def enhance(x: FloatArray, fs: float) -> Enhanced:
    """Band, slope envelope and fusion weights of a ``(n_leads, n)`` float64 chunk."""
    band = qrs_band(x, fs)
    slope = np.abs(np.gradient(band, axis=-1)) * fs
    width = max(1, round(ENVELOPE_S * fs))
    envelope = np.sqrt(np.maximum(uniform_filter1d(slope * slope, width, axis=-1), 0.0))
    if x.shape[0] == 1:
        return Enhanced(band, envelope[0], slope[0], np.ones_like(envelope))
    fused_env, fused_slope, weights = _fuse(envelope, slope, fs)
    return Enhanced(band, fused_env, fused_slope, weights)


def background(
    envelope: FloatArray,
    qrs_idx: IndexArray,
    at_idx: IndexArray,
    fs: float,
    quantile: float = 0.5,
) -> FloatArray:
    """Background level of the envelope between QRS complexes, at each of ``at_idx``.

    The median (or another ``quantile``) of the envelope in ``BACKGROUND_S`` windows, leaving out
    ``ENVELOPE_S`` either side of each QRS of ``qrs_idx`` (where the envelope carries the QRS
    itself), so that it measures what lies between the complexes (P and T waves, noise) at any
    heart rate. A window made only of QRS complexes falls back on all its samples.
    """
    n = envelope.size
    step = max(1, int(fs / 50.0))  # the envelope is a 100 ms moving RMS: 50 Hz resolves it
    per_win = max(1, min(n, int(BACKGROUND_S * fs)) // step)
    n_win = max(1, n // (per_win * step))
    parts = envelope[: n_win * per_win * step : step].reshape(n_win, -1)
    half = ENVELOPE_S * fs / step
    qrs = np.asarray(qrs_idx, dtype=np.float64) / step  # left-out spans, in grid samples
    lo = np.clip(np.ceil(qrs - half), 0, parts.size).astype(np.int64)
    hi = np.clip(np.floor(qrs + half) + 1, 0, parts.size).astype(np.int64)
    edges = np.bincount(lo, minlength=parts.size + 1) - np.bincount(hi, minlength=parts.size + 1)
    inside = (np.cumsum(edges[: parts.size]) > 0).reshape(parts.shape)
    inside[np.all(inside, axis=1)] = False
    ordered = np.sort(np.where(inside, np.inf, parts), axis=1)  # left-out samples sort last
    count, rows = np.count_nonzero(~inside, axis=1), np.arange(n_win)
    if quantile == 0.5:  # the median, midway between the two middle samples of an even count
        floor = 0.5 * (ordered[rows, (count - 1) // 2] + ordered[rows, count // 2])
    else:
        floor = ordered[rows, np.floor((count - 1) * quantile).astype(np.int64)]
    centres = (np.arange(n_win) + 0.5) * per_win * step
    level: FloatArray = np.interp(at_idx, centres, floor)
    return level
