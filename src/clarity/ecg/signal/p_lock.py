"""P waves locked to the QRS complexes: the beat stream's test of organised atrial activity.

Atrial fibrillation is an irregular rhythm *without* P waves. The RR intervals alone cannot tell
it from a markedly irregular sinus rhythm (sinus arrhythmia, frequent atrial ectopy: MIT-BIH 108
and 201 have such stretches), which the 12-lead path separates with its P-wave delineation. The
beat stream of live and long recordings has no delineation, so it asks a simpler question: does
the same wave come before every QRS? A sinus or ectopic-atrial P wave precedes its QRS by a
steady PR interval, so the stretch before each R peak repeats from beat to beat; fibrillatory
waves run on independently of the ventricles and do not.

Per beat, the stretch ``WINDOW_S`` before the R peak (300 to 90 ms: where a P wave lies for PR
intervals up to about 250 ms, clear of the QRS) of every lead, smoothed over ``SMOOTH_S`` (30 ms)
and with the straight line through its two ends removed, is correlated with the sum of the same
stretches of up to ``HALF_BEATS`` beats on either side (the beat itself left out). The leads are
concatenated, so each counts by the size of its P wave. Ventricular beats are neither judged nor
used. Being a correlation, the lock asks whether the locked wave dominates each beat's stretch,
whatever its size: in sinus rhythm it is close to 1, in atrial fibrillation it scatters around 0.

Where ``LOCKED = 0.75`` comes from (median over 32 beats, the AF test's window):

* MIT-BIH DS1, both leads, beats of the live path (``benchmarks/bench_beats.py``): every beat in
  annotated AF or flutter is below it, 87.7 % of the others are at or above it (most of the rest
  are regular stretches, where the RR test does not fire anyway). The stretches the RR test alone
  took for AF (108 and 201) read 0.76-0.98.
* LUDB records 1-160 (10 s, leads II, V1, V5, as the live path reads them): the irregular sinus
  rhythms read 0.90-0.99; the atrial fibrillations -0.23 to 0.73 except record 101 (0.96, read
  as flutter by the 12-lead path). Typical flutter with variable conduction also locks (records
  35 and 103: 0.81-0.90): the F wave before each QRS is the same. Such flutter is then not an AF
  episode of the live path; the 12-lead path's flutter test can still name it (103; 35 reads as
  an ectopic atrial rhythm there). A lower limit would veto more: 0.5 also vetoed the
  fibrillation of LUDB 83, 88 and 96 (small f waves, the stretches sharing a slow curvature) and
  the flutter of 52.

A P wave more than 300 ms before its QRS (a first-degree AV block beyond that) falls outside the
stretch and reads as absent: such rhythms are left to the RR test alone, as before.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal.validate import FloatArray, IndexArray

SMOOTH_S = 0.03
WINDOW_S = (0.30, 0.09)  # from 300 ms to 90 ms before the R peak
HALF_BEATS = 8
MIN_NEIGHBOURS = 4
LOCKED = 0.75

BoolArray = npt.NDArray[np.bool_]

__all__ = ["LOCKED", "p_wave_lock"]


def p_wave_lock(x: FloatArray, fs: float, r_idx: IndexArray, judged: BoolArray) -> FloatArray:
    """Per beat, the correlation of the stretch before its QRS with that of its neighbours.

    Parameters
    ----------
    x : cleaned leads (n_leads, n_samples), mV.
    fs : sampling frequency (Hz).
    r_idx : R-peak sample indices.
    judged : per beat, whether it takes part (False for ventricular beats).

    Returns
    -------
    Correlation in [-1, 1] per beat; NaN where the beat is not judged, its stretch starts before
    the signal, or fewer than ``MIN_NEIGHBOURS`` judged beats are around it.
    """
    lock = np.full(r_idx.size, np.nan)
    before, after = round(WINDOW_S[0] * fs), round(WINDOW_S[1] * fs)
    if r_idx.size == 0 or x.shape[0] == 0 or x.shape[1] <= 3 * before or before - after < 3:
        return lock
    valid = judged & (r_idx - before >= 0) & (r_idx < x.shape[1])
    segments = _segments(x, r_idx[valid], before, after, max(1, round(SMOOTH_S * fs)))
    stretches = np.zeros((r_idx.size, segments.shape[1]))
    stretches[valid] = segments
    around, count = _window_sums(stretches, valid.astype(np.float64), HALF_BEATS)
    others = around - stretches
    enough = valid & (count - 1 >= MIN_NEIGHBOURS)
    num = np.sum(others * stretches, axis=1)
    den = np.sqrt(np.sum(others**2, axis=1) * np.sum(stretches**2, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        lock[enough] = np.where(den[enough] > 0, num[enough] / den[enough], 0.0)
    return lock


def _segments(x: FloatArray, r_idx: IndexArray, before: int, after: int, smooth: int) -> FloatArray:
    """``(n_beats, n_leads * length)``: each lead's stretch before the R peak, smoothed by a
    moving average of ``smooth`` samples, less its chord."""
    offsets = np.arange(-before, -after)
    stretch = x[:, r_idx[:, None] + offsets]  # leads, beats, length
    cum = np.concatenate([np.zeros((*stretch.shape[:2], 1)), np.cumsum(stretch, axis=2)], axis=2)
    stretch = (cum[..., smooth:] - cum[..., :-smooth]) / smooth
    offsets = offsets[: stretch.shape[2]]
    ramp = np.linspace(0.0, 1.0, offsets.size)
    chord = stretch[..., :1] + (stretch[..., -1:] - stretch[..., :1]) * ramp
    flat: FloatArray = np.transpose(stretch - chord, (1, 0, 2)).reshape(
        r_idx.size, x.shape[0] * offsets.size
    )
    return flat


def _window_sums(
    values: FloatArray, weights: FloatArray, half: int
) -> tuple[FloatArray, FloatArray]:
    """Sums of ``values`` rows and of ``weights`` over the ``half`` rows on either side (and the
    row itself)."""
    n = values.shape[0]
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + half + 1, 0, n)
    cum = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    cum_w = np.concatenate([[0.0], np.cumsum(weights)])
    return cum[hi] - cum[lo], cum_w[hi] - cum_w[lo]
