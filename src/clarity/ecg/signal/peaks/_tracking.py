"""Beat tracking by dynamic programming: the best-scoring sequence of QRS candidates.

Each candidate gets an evidence score from its height relative to the local QRS level ``Q`` and
the local non-QRS (noise, P, T) level ``N``: with heights log-normally spread around ``Q`` and
``N`` with equal variance, the log-likelihood ratio of "QRS" over "not QRS" is proportional to
``log(Q/N) * log(h / sqrt(Q N))``. Consecutive beats pay a rhythm cost
``|log(RR / RR_local)|``, the negative log of a Laplace prior on log RR around the local median RR.
Dynamic programming finds the sequence maximising total evidence minus rhythm cost, as in musical
beat tracking (Ellis 2007). In clean signals the evidence dominates and every clear QRS is kept,
premature or not; in noise a spike that would split a regular RR interval in two must be very
strong to be accepted, and a small beat is recovered when the gap without it is twice the local RR
(the cost structure reproduces Pan-Tompkins' search-back at half threshold). Candidates closer
than 200 ms cannot follow each other; the Pan-Tompkins T-wave slope rule forbids a low-slope
candidate within 360 ms of a beat, and the P-wave rule of the threshold pass forbids a beat
smaller than the local QRS level followed within 300 ms by a candidate 1.2 times larger (only
where 300 ms is under 0.6 local RR: in a fast ventricular tachycardia, or a couplet of premature
beats, unequal beats 250 ms apart are all real).

Evidence is weighed by the local signal-to-noise ratio. Noise adds energy to the slope envelope
(the RMS of independent signals adds in squares), so in noise any peak can reach the QRS level
and a tall peak proves less, while a peak well below the QRS level is still evidence against a
QRS. With ``d = log(Q / B)``, ``B`` the envelope background between complexes (its median over
4 s, QRS complexes left out), the positive evidence of a candidate is multiplied by
``min(1, d / CLEAR_SNR) ** 2``: unchanged where the QRS stands at least ``CLEAR_SNR = log 7``
(17 dB of envelope amplitude) above the background, as in any readable ECG whatever the heart
rate, and shrinking with the square of the separation below it, as the log-likelihood ratio of
two equal-variance classes does with their distance ``d'``. In noise the rhythm then outweighs a
spike that would split an RR interval, while beats where the rhythm expects them (which cost
nothing) are kept.

Where bursts of noise reach near QRS height, the shape of a peak is evidence too. Electrode
motion in particular makes steep, QRS-like deflections whose envelope background between
complexes stays low (the median misses bursts): the 90th percentile ``B90`` of the same
background samples (``_enhance.NOISE_PEAK_QUANTILE``) tells how high the bursts go. With ``d90 =
log(Q / B90)``, the noise gate ``g = 1 - min(1, d90 / CLEAR_SNR) ** 2`` (the same bound of seven
as above) is 0 where the bursts stay seven times below the QRS level (clean and most 12 dB
stretches: the evidence is left as it is) and rises to 1 as they reach it. There the positive
evidence of a candidate is also multiplied by ``1 - g (1 - m)``, with ``m`` its morphology match
(``_morphology``: best correlation with the nearby beats of the first pass whose evidence is at
least ``TEMPLATE_EVIDENCE``) mapped linearly from ``MATCH_FLOOR`` at a correlation of
``MATCH_RANGE[0] = 0.5`` or less to 1 at ``MATCH_RANGE[1] = 0.9`` or more (the signal-quality
bound of Orphanidou et al. 2015 is 0.86). ``MATCH_FLOOR = 0.3`` keeps some evidence for a unique
beat in noise (an isolated premature beat has no look-alike). Gated by noise, the match leaves
the aberrant and multiform beats of clean records alone: on bench_rpeaks.py the clean DS1 rows
are unchanged, while the same match applied everywhere missed 9 to 35 more beats there (the
values above were chosen among a few on that benchmark).

Ectopy is common and the rhythm cost is a defence against noise, so in clean stretches a
premature interval costs less. A premature beat followed by a return cycle of about the local
RR pays ``|log(RR / RR_local)|`` once (its short interval), while a spike splitting a regular
interval pays for two short intervals; but a weak premature beat (the aberrated atrial premature
beats of MIT-BIH record 201: a quarter of the normal QRS slope, 40 % of the cycle early) could
not pay even once. Where the noise gate is 0 the cost of an interval shorter than the local RR
is weighed by ``PREMATURE_WEIGHT = 0.7``, rising linearly to the full weight at a gate of
``PREMATURE_GATE = 0.2`` (noise bursts within about 5.7 times of the QRS level) and above.
Chosen on bench_rpeaks.py among weights 0.7-0.85 and gate bounds 0.1-1 (bounds 0.1-0.3 within
ten errors of each other on every row). Against the full weight everywhere: clean DS1 misses
86 -> 79 (201: 20 -> 13), errors at 12 dB 153 -> 144, fewer errors on two leads in every row;
single-lead noise about even (em 6 dB 730 -> 741 errors, ma 6 dB 278 -> 278). Without the gate
(0.85 everywhere) em 6 dB rose to 881.

The local levels come from a first adaptive-threshold pass (``_threshold``); the local RR from
its beats, then twice from the tracked beats themselves, as an evidence-weighted median so that
noise accepted by one pass does not shorten the expected RR of the next.

References
----------
Ellis D. P. W. (2007). Beat tracking by dynamic programming. J New Music Res 36(1):51-60.
Pan J., Tompkins W. J. (1985). A real-time QRS detection algorithm. IEEE Trans Biomed Eng
32(3):230-236.
Orphanidou C. et al. (2015). Signal-quality indices for the electrocardiogram and
photoplethysmogram: derivation and applications to wireless monitoring. IEEE J Biomed Health
Inform 19(3):832-838.
"""

from __future__ import annotations

import math

import numpy as np

from clarity.ecg.signal.peaks._threshold import (
    LOOKAHEAD_RATIO,
    LOOKAHEAD_S,
    REFRACTORY_S,
    T_WAVE_S,
)
from clarity.ecg.signal.validate import FloatArray, IndexArray

RHYTHM_WEIGHT = 1.0
P_WAVE_RR = 0.6
P_WAVE_MAX = 1.0
MAX_LINK_S = 3.0
RESTART_COST = 2.0
# chosen on bench_rpeaks.py between log 10 and log 7: log 10 lost 7 beats at 12 dB
CLEAR_SNR = math.log(7.0)
# morphology match, used in noise only (chosen on bench_rpeaks.py: see the module documentation)
TEMPLATE_EVIDENCE = 1.0
MATCH_RANGE = (0.5, 0.9)
MATCH_FLOOR = 0.3
# premature intervals in clean stretches (chosen on bench_rpeaks.py: see the module documentation)
PREMATURE_WEIGHT = 0.7
PREMATURE_GATE = 0.2
_SCORE_RANGE = (-3.0, 6.0)
_CONTRAST_RANGE = (0.3, 3.0)
_LEVEL_BEATS = 8
_NOISE_PEAKS = 16
_RR_BEATS = 16


def local_median(
    src_pos: IndexArray, values: FloatArray, dst_pos: IndexArray, k: int
) -> FloatArray:
    """Median of the ``2k`` source values nearest (in order) to each destination position."""
    if values.size == 0:
        return np.full(dst_pos.size, np.nan)
    at = np.searchsorted(src_pos, dst_pos)
    idx = np.clip(at[:, None] + np.arange(-k, k)[None, :], 0, values.size - 1)
    median: FloatArray = np.median(values[idx], axis=1)
    return median


def evidence(
    cand_idx: IndexArray,
    heights: FloatArray,
    first_pass: IndexArray,
    background: FloatArray | None = None,
    *,
    noise_peaks: FloatArray | None = None,
    match: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """QRS evidence of each candidate (log-likelihood-ratio style: positive means more QRS than
    not), its height relative to the local QRS level and the noise gate there (0 without
    ``noise_peaks``).

    With the envelope ``background`` between complexes at each candidate, positive evidence is
    weighed by ``min(1, log(Q / background) / CLEAR_SNR) ** 2``; with the height ``noise_peaks``
    that noise bursts reach there (90th percentile of the same samples) and the morphology
    ``match`` of each candidate (NaN: unknown), also by ``1 - g (1 - m)`` (see the module
    documentation).
    """
    beat = np.zeros(cand_idx.size, dtype=bool)
    beat[first_pass] = True
    tiny = np.finfo(np.float64).tiny
    qrs = local_median(cand_idx[beat], heights[beat], cand_idx, _LEVEL_BEATS)
    other = local_median(cand_idx[~beat], heights[~beat], cand_idx, _NOISE_PEAKS)
    qrs = np.where(np.isnan(qrs), np.max(heights), qrs)
    other = np.where(np.isnan(other), 0.1 * qrs, other)
    qrs, other = np.maximum(qrs, tiny), np.maximum(other, tiny)
    contrast = np.clip(np.log(qrs / other), *_CONTRAST_RANGE)
    # threshold sqrt(Q N) with N limited to Q e^-3: a flat stretch must not make bumps into beats
    ratio = np.maximum(heights, tiny) / (qrs * np.exp(-0.5 * contrast))
    score: FloatArray = np.clip(contrast * np.log(ratio), *_SCORE_RANGE)
    if background is not None:  # noise adds energy: only a tall peak's evidence is in doubt
        snr = np.log(qrs / np.maximum(background, tiny))
        weight = np.clip(snr / CLEAR_SNR, 0.0, 1.0) ** 2
        score = np.where(score > 0.0, score * weight, score)
    gate = np.zeros(cand_idx.size)
    if noise_peaks is not None:
        snr_peaks = np.log(qrs / np.maximum(noise_peaks, tiny))
        gate = 1.0 - np.clip(snr_peaks / CLEAR_SNR, 0.0, 1.0) ** 2
    if noise_peaks is not None and match is not None:
        low, high = MATCH_RANGE
        shape = MATCH_FLOOR + (1.0 - MATCH_FLOOR) * np.clip((match - low) / (high - low), 0, 1)
        factor = np.where(np.isnan(match), 1.0, 1.0 - gate * (1.0 - shape))
        score = np.where(score > 0.0, score * factor, score)
    relative: FloatArray = heights / qrs
    return score, relative, gate


def _local_rr(
    beats_idx: IndexArray, beat_score: FloatArray, cand_idx: IndexArray, fs: float
) -> FloatArray:
    """Local RR (samples) at each candidate: weighted median of the nearest ``2 _RR_BEATS`` RR
    intervals, each weighted by the weaker evidence of its two beats.

    Spurious beats (noise accepted by an earlier pass) have weak evidence, so the intervals they
    split count little and the rhythm prior is not dragged towards their shorter intervals.
    """
    if beats_idx.size < 2:
        return np.full(cand_idx.size, fs)  # 60 bpm when nothing is known
    rr = np.diff(beats_idx).astype(np.float64)
    weight = np.minimum(beat_score[1:], beat_score[:-1]).clip(0.0, None) + 1e-6
    at = np.searchsorted(beats_idx[1:], cand_idx)
    idx = np.clip(at[:, None] + np.arange(-_RR_BEATS, _RR_BEATS)[None, :], 0, rr.size - 1)
    order = np.argsort(rr[idx], axis=1)
    values = np.take_along_axis(rr[idx], order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(weight[idx], order, axis=1), axis=1)
    middle = np.argmax(cumulative >= cumulative[:, -1:] / 2.0, axis=1)
    local: FloatArray = values[np.arange(values.shape[0]), middle]
    return local


def _best_path(
    t: list[int],
    score: list[float],
    relative: list[float],
    slope: list[float],
    log_rr: list[float],
    premature: list[float],
    fs: float,
) -> list[int]:
    """Viterbi over candidates; returns positions (into the lists) of the best beat sequence.

    ``premature`` is the weight of the rhythm cost of an interval shorter than the local RR
    ending at each candidate (longer ones weigh ``RHYTHM_WEIGHT``)."""
    n = len(t)
    total = [0.0] * n
    back = [-1] * n
    prefix_best: list[int] = [0] * n  # argmax of total[0..i]
    refractory, t_wave, max_link = REFRACTORY_S * fs, T_WAVE_S * fs, MAX_LINK_S * fs
    lookahead = LOOKAHEAD_S * fs
    log, weight, p_max = math.log, RHYTHM_WEIGHT, P_WAVE_MAX
    lo = 0
    for i in range(n):
        ti, lr, slope_i, rel_i, early = t[i], log_rr[i], 2.0 * slope[i], relative[i], premature[i]
        p_wave = min(lookahead, P_WAVE_RR * math.exp(lr))
        while t[lo] < ti - max_link:
            lo += 1
        if lo > 0:  # a new run after a long gap (pause, lost signal) costs a fixed amount
            best, arg = total[prefix_best[lo - 1]] - RESTART_COST, prefix_best[lo - 1]
        else:
            best, arg = (0.0 if ti < t[0] + max_link else -RESTART_COST), -1
        for j in range(lo, i):
            dt = ti - t[j]
            if dt < refractory:
                break
            if dt < t_wave and slope_i < slope[j]:
                continue  # i is the T wave of j (less than half its slope)
            if dt < p_wave and relative[j] < p_max and rel_i > LOOKAHEAD_RATIO * relative[j]:
                continue  # j is the P wave (or an artefact) before i
            gap = log(dt) - lr
            value = total[j] - (weight * gap if gap > 0.0 else -early * gap)
            if value > best:
                best, arg = value, j
        total[i] = best + score[i]
        back[i] = arg
        prefix_best[i] = i if i == 0 or total[i] > total[prefix_best[i - 1]] else prefix_best[i - 1]
    path, i = [], prefix_best[n - 1]
    while i >= 0:
        path.append(i)
        i = back[i]
    return path[::-1]


def track(
    cand_idx: IndexArray,
    heights: FloatArray,
    slopes: FloatArray,
    first_pass: IndexArray,
    fs: float,
    *,
    refinements: int = 2,
    background: FloatArray | None = None,
    noise_peaks: FloatArray | None = None,
    match: FloatArray | None = None,
) -> IndexArray:
    """Positions (into ``cand_idx``) of the tracked beats (``background``, ``noise_peaks`` and
    ``match`` as for :func:`evidence`)."""
    h_score, relative, gate = evidence(
        cand_idx, heights, first_pass, background, noise_peaks=noise_peaks, match=match
    )
    relief = (1.0 - PREMATURE_WEIGHT) * (1.0 - np.clip(gate / PREMATURE_GATE, 0.0, 1.0))
    premature = RHYTHM_WEIGHT * (1.0 - relief)
    # A candidate below -w log 2 can never pay for itself (filling a gap gains at most that).
    usable = np.flatnonzero(h_score > -RHYTHM_WEIGHT * math.log(2.0))
    if usable.size == 0:
        return np.empty(0, dtype=np.int64)
    t = cand_idx[usable]
    chosen = first_pass
    for _ in range(refinements + 1):
        local_rr = _local_rr(cand_idx[chosen], h_score[chosen], t, fs)
        log_rr = np.log(np.maximum(local_rr, 1.0))
        path = _best_path(
            t.tolist(),
            h_score[usable].tolist(),
            relative[usable].tolist(),
            slopes[usable].tolist(),
            log_rr.tolist(),
            premature[usable].tolist(),
            fs,
        )
        previous, chosen = chosen, usable[np.asarray(path, dtype=np.int64)]
        if np.array_equal(previous, chosen):
            break  # converged: the same beats give the same local RR
    return chosen
