"""Per-lead wave finders of the wavelet delineator: QRS, T and P of all leads and beats at once.

Follows the scheme of Martinez et al. (2004): QRS boundaries from the modulus of a fine-scale
derivative around each R fiducial; P and T waves from coarser scales inside windows bounded by
the QRS and the RR interval, their apex at the zero crossing of the derivative (extremum of the
smoothed signal) and their boundaries where the derivative modulus falls below a fraction of
the outermost significant slope. Two departures: the wavelet is the derivative of a Gaussian
with scales in seconds (rate independent), and the QRS is replaced by a straight line before the
P/T scales are computed, so that its energy does not leak into them.

References
----------
J. P. Martinez, R. Almeida, S. Olmos, A. P. Rocha, P. Laguna, "A wavelet-based ECG delineator:
evaluation on standard databases", IEEE Trans. Biomed. Eng. 51(4):570-581, 2004.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal._template import median_template_correlation
from clarity.ecg.signal.delineate._combine import min_agreeing_leads, robust_centre
from clarity.ecg.signal.delineate._transform import (
    BoolArray,
    FloatArray,
    IndexArray,
    Runs,
    first_true,
    gather,
    last_true,
    slope_span,
    take,
    threshold_bounds,
    trapezium_bound,
)

LeadPoints = dict[str, npt.NDArray[np.int64]]


@dataclass(frozen=True)
class WaveletParams:
    """Constants of the wavelet delineator: scales and windows in s, amplitudes in mV,
    thresholds as fractions. One set for every rate and lead; calibrated on half of LUDB
    records 1-160 (odd numbers) and checked on the other half."""

    # rates: QRS work at <= 500 Hz, P/T work at <= 250 Hz (their scales need no more)
    qrs_max_fs: float = 500.0
    wave_max_fs: float = 250.0
    # QRS: scale, search window around the R fiducial, main-slope zone
    qrs_sigma_s: float = 0.006
    qrs_pre_s: float = 0.15
    qrs_post_s: float = 0.20
    qrs_main_s: float = 0.08
    qrs_min_slope_mv_s: float = 1.0  # below this the lead has no measurable QRS
    # QRS extent: slopes >= gamma x main, bridged over gaps (apexes) up to gap_s
    qrs_gamma: float = 0.10
    qrs_gap_s: float = 0.024
    # small initial/terminal waves (q, r', s) joined when taller than max(alpha x main wave,
    # min_height), steeper than ext_gamma x main slope, and within ext_max_s
    qrs_alpha: float = 0.03
    qrs_min_height_mv: float = 0.03
    qrs_ext_gamma: float = 0.03
    qrs_ext_max_s: float = 0.025
    # boundaries: slope below xi x max(outer slope, floor x main slope)
    qrs_xi_on: float = 0.05
    qrs_xi_off: float = 0.13
    qrs_floor: float = 0.4
    # global onset (several leads): the spatial velocity falls below this x its QRS peak
    qrs_spatial_xi_on: float = 0.06
    # global end (several leads): the later of the median of the leads' ends and the sample
    # where the spatial velocity, after it last stands at fall x its QRS peak within
    # qrs_main_s of the R fiducial, falls below xi_off x that peak (the terminal R' of right
    # bundle branch block stands at about a fifth of the peak, an F wave in the ST lower)
    qrs_spatial_fall: float = 0.2
    qrs_spatial_xi_off: float = 0.10
    # a pacing spike from qrs_pre_s before to paced_after_r_s after the R fiducial paces the
    # ventricles: the QRS starts after its artefact, where the evoked response rises above
    # paced_xi_on x its peak (a paced QRS starts slower than a conducted one)
    paced_after_r_s: float = 0.01
    paced_xi_on: float = 0.15
    # beats of one QRS shape (their QRS slopes, all leads, within qrs_main_s of the R fiducial,
    # correlate >= alike_corr with the record's median beat) start at one distance from the R
    # fiducial: each global onset stays within steady_dev_s of their median distance, as a
    # program measuring on the median beat would have it (f waves, noise and a stray early
    # slope move a single beat's onset, not the typical one)
    qrs_alike_corr: float = 0.8
    qrs_steady_dev_s: float = 0.004
    # P and T: apex smoothing and scales
    smooth_sigma_s: float = 0.008
    t_sigma_s: float = 0.025
    p_sigma_s: float = 0.015
    # T: window from J + start_s to min(max_s, max_rr x RR) after R; limbs at most span_s
    # apart; end = knee within reach_s after the steepest descending limb
    t_start_s: float = 0.04
    t_max_s: float = 0.62
    t_max_rr: float = 0.7
    t_span_s: float = 0.25
    t_reach_s: float = 0.08
    t_min_mv: float = 0.015
    # P: window from the previous T end (at most max_s before R) to end_s before the QRS;
    # limbs at most span_s apart; an adjacent lobe over ext_alpha x the P joins (biphasic P)
    p_max_s: float = 0.45
    p_end_s: float = 0.02
    p_span_s: float = 0.12
    p_ext_alpha: float = 0.3
    p_ext_max_s: float = 0.06
    p_xi_on: float = 0.6
    p_xi_off: float = 0.7
    p_reach_s: float = 0.03
    p_half_max_s: float = 0.08
    # P presence: amplitude, dominance over rival waves, lead agreement, PR stability
    p_min_mv: float = 0.01
    p_min_dominance: float = 2.0
    p_agree_s: float = 0.03
    p_min_pr_s: float = 0.04  # apex to QRS onset: at least half of the shortest P wave
    p_pr_tolerance_s: float = 0.04
    p_min_regular_fraction: float = 0.7
    # one lead (no agreement across leads to lean on): the search is narrowed to window_s
    # before the lead's own typical P apex (median PR of a first pass), where a small P has no
    # rival to be dominated by, so a lower amplitude and no dominance margin are needed; the PR
    # must be steadier instead, and the boundaries follow the lead's typical P shape (within
    # lead_max_dev_p_s of the median apex-to-boundary distances, as leads do of the global
    # points with several leads)
    p_single_min_mv: float = 0.005
    p_single_min_dominance: float = 1.0
    p_single_pr_tolerance_s: float = 0.03
    p_single_window_s: float = 0.08
    # per-lead points stay within these of the global ones
    lead_max_dev_qrs_s: float = 0.006
    lead_max_dev_p_s: float = 0.012
    lead_max_dev_t_s: float = 0.025


PARAMS = WaveletParams()


def offsets_s(fs: float, start_s: float, stop_s: float) -> IndexArray:
    """Sample offsets covering ``start_s`` to ``stop_s`` (s) at ``fs``."""
    return np.arange(int(np.floor(start_s * fs)), int(np.ceil(stop_s * fs)) + 1, dtype=np.int64)


def rr_samples(r_idx: IndexArray, fs: float) -> tuple[IndexArray, IndexArray]:
    """RR interval before and after each beat (median RR, or 1 s, at the record ends)."""
    rr = np.diff(r_idx)
    typical = int(np.median(rr)) if rr.size else int(fs)
    before = np.concatenate([[typical], rr]).astype(np.int64)
    after = np.concatenate([rr, [typical]]).astype(np.int64)
    return before, after


def to_samples(win_idx: IndexArray, anchor_idx: IndexArray, offsets: IndexArray) -> IndexArray:
    """Window indices back to record sample indices (-1 stays -1)."""
    return np.where(win_idx >= 0, anchor_idx + offsets[np.maximum(win_idx, 0)], -1)


def find_qrs(
    smooth: FloatArray,
    slope: FloatArray,
    fs: float,
    r_idx: IndexArray,
    floor_idx: IndexArray,
    p: WaveletParams,
) -> tuple[IndexArray, IndexArray, IndexArray | None, IndexArray | None]:
    """QRS onset and end per lead and beat, from the fine-scale slope, and with several leads
    the global onset and end, using their spatial velocity (None for one lead). No onset comes
    before ``floor_idx`` (the end of a ventricular pacing artefact; -1 where there is none)."""
    offsets = offsets_s(fs, -p.qrs_pre_s, p.qrs_post_s)
    slope_w, valid = gather(slope, r_idx, offsets)
    smooth_w, _ = gather(smooth, r_idx, offsets)
    # baseline wander adds a near-constant slope over the window: take it away
    drift = np.median(slope_w, axis=-1, keepdims=True)
    slope_w = slope_w - drift
    smooth_w = smooth_w - drift * (offsets / fs)
    magnitude = np.abs(slope_w)
    rr_before, rr_after = rr_samples(r_idx, fs)
    valid &= (offsets > -rr_before[:, None] // 2) & (offsets < rr_after[:, None] // 2)
    near = valid & (np.abs(offsets) <= p.qrs_main_s * fs)
    main = np.argmax(np.where(near, magnitude, -1.0), axis=-1)
    main_slope = take(magnitude, main)
    first, last = slope_span(
        magnitude,
        valid,
        main,
        magnitude >= p.qrs_gamma * main_slope[..., None],
        round(p.qrs_gap_s * fs),
    )
    runs = Runs.of(smooth_w, slope_w, valid)
    min_height = np.maximum(p.qrs_alpha * _main_height(runs, main), p.qrs_min_height_mv)
    min_slope = p.qrs_ext_gamma * main_slope
    shift = round(p.qrs_ext_max_s * fs)
    first = runs.extend(first, -1, min_height, min_slope, 1, shift)
    last = runs.extend(last, +1, min_height, min_slope, 1, shift)
    onset, end = threshold_bounds(
        magnitude, valid, first, last, p.qrs_xi_on, p.qrs_xi_off, floor=p.qrs_floor * main_slope
    )
    present = main_slope >= p.qrs_min_slope_mv_s
    onset = _not_before(np.where(present, to_samples(onset, r_idx, offsets), -1), floor_idx)
    end = np.where(present, to_samples(end, r_idx, offsets), -1)
    if slope_w.shape[0] < 2:
        return onset, end, None, None
    main_n = p.qrs_main_s * fs
    xi_on = np.where(floor_idx >= 0, p.paced_xi_on, p.qrs_spatial_xi_on)
    spatial_on = spatial_onset(slope_w, valid, offsets, main_n, xi_on)
    spatial_end = spatial_offset(
        slope_w, valid, offsets, main_n, p.qrs_spatial_fall, p.qrs_spatial_xi_off
    )
    inside = np.abs(offsets) <= main_n
    alike = alike_beats(slope_w[..., inside], valid[..., inside], p.qrs_alike_corr)
    max_dev = round(p.qrs_steady_dev_s * fs)
    spatial_on = steady_bound(spatial_on, alike, max_dev)
    spatial_end = steady_bound(spatial_end, alike, max_dev)
    leads_end = robust_centre(end, min_agreeing_leads(end.shape[0]))
    global_end = to_samples(spatial_end, r_idx, offsets)
    global_end = np.where(leads_end >= 0, np.maximum(leads_end, global_end), global_end)
    return (
        onset,
        end,
        _not_before(to_samples(spatial_on, r_idx, offsets), floor_idx),
        global_end,
    )


def alike_beats(slope_w: FloatArray, valid: BoolArray, min_corr: float) -> BoolArray:
    """Beats whose multilead slope windows (n_leads, n_beats, n) correlate at least
    ``min_corr`` with the record's median beat: the dominant QRS shape. Beats cut by the
    record's ends are not compared; none are alike with fewer than three whole beats."""
    n_beats = slope_w.shape[1]
    whole = np.asarray(valid.all(axis=(0, 2)), dtype=bool)
    if whole.sum() < 3:
        return np.zeros(n_beats, dtype=bool)
    corr = median_template_correlation(slope_w.transpose(1, 0, 2).reshape(n_beats, -1), whole)
    return np.asarray(whole & (corr >= min_corr), dtype=bool)


def steady_bound(bound_w: IndexArray, alike: BoolArray, max_dev: int) -> IndexArray:
    """Window indices of a QRS boundary (-1 if none) of the ``alike`` beats kept within
    ``max_dev`` samples of their median; the others as found."""
    measured = alike & (bound_w >= 0)
    if measured.sum() < 3:
        return bound_w
    typical = round(float(np.median(bound_w[measured])))
    steady = np.clip(bound_w, typical - max_dev, typical + max_dev)
    return np.where(measured, steady, bound_w)


def _spatial_velocity(
    slope_w: FloatArray, valid: BoolArray, offsets: IndexArray, main_n: float
) -> tuple[FloatArray, BoolArray, BoolArray, FloatArray]:
    """Spatial velocity (n_beats, n), the samples where every lead is valid, those within
    ``main_n`` of the R fiducial, and each beat's QRS peak velocity (there)."""
    speed = np.sqrt(np.sum(slope_w**2, axis=0))
    ok = np.asarray(valid.all(axis=0), dtype=bool)
    near = ok & (np.abs(offsets) <= main_n)
    peak_speed = take(speed, np.argmax(np.where(near, speed, -1.0), axis=-1))
    return speed, ok, near, peak_speed


def _where_valid(point_w: IndexArray, ok: BoolArray) -> IndexArray:
    """Window indices kept where every lead is valid there, -1 elsewhere."""
    inside = take(ok.astype(np.float64), point_w).astype(bool)
    return np.where((point_w >= 0) & inside, point_w, -1)


def spatial_onset(
    slope_w: FloatArray,
    valid: BoolArray,
    offsets: IndexArray,
    main_n: float,
    xi: FloatArray,
) -> IndexArray:
    """Global QRS onset (window index, -1 if none) from the spatial velocity of the leads.

    The spatial velocity, the Euclidean norm across leads of the slope, is the speed of the
    heart vector: it rises when any lead starts to move, and a lead with a slow baseline drift
    weighs in only by its share. The onset is the last sample where it stays under ``xi`` (per
    beat) x its QRS peak (within ``main_n`` samples of the R fiducial) before it first rises to
    half that peak (Sornmo and Laguna 2005, multilead delineation). Searching back from the
    first rise, not from the peak, keeps a dip of the velocity inside the QRS (at an R apex that
    all leads share) from passing for the onset.
    """
    speed, ok, near, peak_speed = _spatial_velocity(slope_w, valid, offsets, main_n)
    k = np.arange(speed.shape[-1])
    rise = first_true(near & (speed >= 0.5 * peak_speed[:, None]))
    low = speed < (xi * peak_speed)[:, None]
    onset = last_true((low | ~ok) & (k < rise[:, None]))
    return _where_valid(onset, ok)


def spatial_offset(
    slope_w: FloatArray,
    valid: BoolArray,
    offsets: IndexArray,
    main_n: float,
    fall: float,
    xi: float,
) -> IndexArray:
    """Global QRS end (window index, -1 if none) from the spatial velocity of the leads: the
    first sample under ``xi`` x its QRS peak after the last one, within ``main_n`` samples of
    the R fiducial, at ``fall`` x that peak or more. A terminal wave seen in a few leads only
    (the R' of V1 and the slurred S of I and V6 in right bundle branch block) keeps the
    velocity up, so the QRS ends after it, where a median of the leads' own ends stops at the
    end of the main deflection (LUDB records 10 and 108: 24 and 11 ms early on average)."""
    speed, ok, near, peak_speed = _spatial_velocity(slope_w, valid, offsets, main_n)
    k = np.arange(speed.shape[-1])
    last_high = last_true(near & (speed >= fall * peak_speed[:, None]))
    threshold = xi * peak_speed
    end = first_true(((speed < threshold[:, None]) | ~ok) & (k > last_high[:, None]))
    # the sample nearer to where the velocity crosses the threshold (coarse rates)
    before, after = take(speed, end - 1), take(speed, end)
    nearer_before = (end > 0) & (before - threshold < threshold - after)
    end = np.where(nearer_before, end - 1, end)
    return _where_valid(end, ok)


def _not_before(points_idx: IndexArray, floor_idx: IndexArray) -> IndexArray:
    return np.where(
        (points_idx >= 0) & (floor_idx >= 0), np.maximum(points_idx, floor_idx), points_idx
    )


def paced_qrs_floor(
    r_idx: IndexArray, spike_idx: IndexArray, spike_end_idx: IndexArray, fs: float, p: WaveletParams
) -> IndexArray:
    """Per beat, the end of the pacing artefact that starts its QRS (-1 for unpaced beats)."""
    floor = np.full(r_idx.shape, -1, dtype=np.int64)
    if spike_idx.size == 0:
        return floor
    lo = np.searchsorted(spike_idx, r_idx - round(p.qrs_pre_s * fs), side="left")
    hi = np.searchsorted(spike_idx, r_idx + round(p.paced_after_r_s * fs), side="right")
    paced = hi > lo
    floor[paced] = spike_end_idx[hi[paced] - 1]
    return floor


def _main_height(runs: Runs, main_idx: IndexArray) -> FloatArray:
    run = np.take_along_axis(runs.run_of, main_idx[..., None], -1)[..., 0]
    return runs.height[run]


def blank_qrs(
    ecg: FloatArray, r_idx: IndexArray, on_idx: IndexArray, end_idx: IndexArray, fs: float
) -> FloatArray:
    """Copy of ``ecg`` with each QRS replaced by the straight line joining its boundaries."""
    n_leads, n_samples = ecg.shape
    start = np.where(on_idx >= 0, on_idx, r_idx - round(0.05 * fs)).clip(0, n_samples - 1)
    stop = np.where(end_idx >= 0, end_idx, r_idx + round(0.06 * fs)).clip(0, n_samples - 1)
    start, stop = start.ravel(), np.maximum(stop, start).ravel()
    rows = np.repeat(np.arange(n_leads), r_idx.size)
    counts = stop - start + 1
    seg = np.repeat(np.arange(start.size), counts)
    k = start[seg] + np.arange(seg.size) - np.repeat(np.cumsum(counts) - counts, counts)
    x0, x1 = ecg[rows, start][seg], ecg[rows, stop][seg]
    frac = (k - start[seg]) / np.maximum(stop - start, 1)[seg]
    blanked = ecg.copy()
    blanked[rows[seg], k] = x0 + (x1 - x0) * frac
    return blanked


def _wave_peak(
    smooth: FloatArray, slope: FloatArray, first: IndexArray, last: IndexArray
) -> tuple[IndexArray, FloatArray]:
    """Apex between the outermost slopes (max if the wave rises first, else min), and polarity."""
    k = np.arange(smooth.shape[-1])
    polarity = np.sign(take(slope, first))
    polarity = np.where(polarity == 0, 1.0, polarity)
    inside = (k >= first[..., None]) & (k <= last[..., None])
    score = np.where(inside, polarity[..., None] * smooth, -np.inf)
    return np.argmax(score, axis=-1).astype(np.int64), polarity


def find_t(
    smooth: FloatArray,
    level: FloatArray,
    slope: FloatArray,
    fs: float,
    r_idx: IndexArray,
    qrs_end_idx: IndexArray,
    p: WaveletParams,
) -> tuple[IndexArray, IndexArray, FloatArray]:
    """T apex, end and amplitude (mV) per lead and beat.

    The T wave is the most prominent pair of limbs of the T-scale signal after the J point;
    its apex is the extremum between the limbs and its end the knee after the second limb.
    """
    offsets = offsets_s(fs, 0.0, p.t_max_s)
    slope_w, valid = gather(slope, r_idx, offsets)
    level_w, _ = gather(level, r_idx, offsets)
    _, rr_after = rr_samples(r_idx, fs)
    j_point = np.where(qrs_end_idx >= 0, qrs_end_idx - r_idx, round(0.06 * fs))
    valid &= offsets >= (j_point + round(p.t_start_s * fs))[..., None]
    valid &= offsets <= (p.t_max_rr * rr_after)[:, None]
    runs = Runs.of(level_w, slope_w, valid)
    shape = slope_w.shape[:2]
    best, prominence, _ = runs.best_pair(shape[0] * shape[1], round(p.t_span_s * fs))
    best, prominence = best.reshape(shape), prominence.reshape(shape)
    first = runs.peak_idx[best]
    last = runs.peak_idx[np.minimum(best + 1, runs.peak_idx.size - 1)]
    smooth_w, _ = gather(smooth, r_idx, offsets)
    end = trapezium_bound(smooth_w, slope_w, valid, last, round(p.t_reach_s * fs), +1)
    peak, _ = _wave_peak(smooth_w, slope_w, first, last)
    present = prominence >= p.t_min_mv
    peak = np.where(present, to_samples(peak, r_idx, offsets), -1)
    end = np.where(present & (end >= 0), to_samples(end, r_idx, offsets), -1)
    return peak, end, prominence


def find_p(
    smooth: FloatArray,
    level: FloatArray,
    slope: FloatArray,
    fs: float,
    r_idx: IndexArray,
    qrs_on_idx: IndexArray,
    prev_t_end_idx: IndexArray,
    p: WaveletParams,
) -> tuple[IndexArray, IndexArray, IndexArray, FloatArray, FloatArray]:
    """P onset, apex, end, signed amplitude (mV) and dominance (amplitude over that of the best
    rival wave in the window) per lead and beat, before any presence test.

    The P wave is the most prominent up-down (or down-up) pair of runs of the P-scale signal
    between the previous T wave and a little before the QRS onset ``qrs_on_idx``; its end may
    reach the QRS onset.
    """
    offsets = offsets_s(fs, -p.p_max_s, 0.0)
    slope_w, bound_ok = gather(slope, r_idx, offsets)
    level_w, _ = gather(level, r_idx, offsets)
    qrs_on = np.where(qrs_on_idx >= 0, qrs_on_idx - r_idx, -round(0.05 * fs))
    bound_ok &= offsets < qrs_on[..., None]
    bound_ok &= offsets > (prev_t_end_idx - r_idx)[..., None]
    valid = bound_ok & (offsets <= (qrs_on - round(p.p_end_s * fs))[..., None])
    magnitude = np.abs(slope_w)
    runs = Runs.of(level_w, slope_w, valid)
    shape = magnitude.shape[:2]
    best, prominence, rival = runs.best_pair(shape[0] * shape[1], round(p.p_span_s * fs))
    best, prominence, rival = best.reshape(shape), prominence.reshape(shape), rival.reshape(shape)
    pair_first = runs.peak_idx[best]
    pair_last = runs.peak_idx[np.minimum(best + 1, runs.peak_idx.size - 1)]
    shift = round(p.p_ext_max_s * fs)
    min_height = p.p_ext_alpha * prominence
    # a lobe outside the search window (the QRS onset, the previous T) is not part of the P:
    # joining it left no room to find the P end (or onset)
    first = _inside(runs, runs.extend(pair_first, -1, min_height, 0.0 * prominence, 1, shift))
    last = _inside(runs, runs.extend(pair_last, +1, min_height, 0.0 * prominence, 1, shift))
    first = np.where(first >= 0, first, pair_first)
    last = np.where(last >= 0, last, pair_last)
    smooth_w, _ = gather(smooth, r_idx, offsets)
    onset, end = threshold_bounds(
        magnitude, bound_ok, first, last, p.p_xi_on, p.p_xi_off, stop_at_minimum=True
    )
    # a P wave running into the QRS (or out of the previous T) has no flat stretch for the
    # threshold: take the knee of its outer limb instead
    reach = round(p.p_reach_s * fs)
    onset = np.where(
        onset >= 0, onset, trapezium_bound(smooth_w, slope_w, bound_ok, first, reach, -1)
    )
    end = np.where(end >= 0, end, trapezium_bound(smooth_w, slope_w, bound_ok, last, reach, +1))
    peak, polarity = _wave_peak(smooth_w, slope_w, pair_first, pair_last)
    # a P wave lasts at most about 2 x p_half_max_s: a boundary found farther out belongs to
    # the baseline drift or a neighbouring wave
    half = round(p.p_half_max_s * fs)
    onset = np.where(onset >= 0, np.maximum(onset, peak - half), -1)
    end = np.where(end >= 0, np.minimum(end, peak + half), -1)
    ok = prominence > 0
    return (
        np.where(ok & (onset >= 0), to_samples(onset, r_idx, offsets), -1),
        np.where(ok, to_samples(peak, r_idx, offsets), -1),
        np.where(ok & (end >= 0), to_samples(end, r_idx, offsets), -1),
        np.where(ok, polarity * prominence, 0.0),
        prominence / np.maximum(rival, 1e-6),
    )


def _inside(runs: Runs, idx: IndexArray) -> IndexArray:
    """``idx`` where its run lies wholly inside the valid window, else -1."""
    run = np.take_along_axis(runs.run_of, np.clip(idx, 0, None)[..., None], -1)[..., 0]
    return np.where(runs.inside[run], idx, -1)


def previous_t_end(
    r_idx: IndexArray, t_end_idx: IndexArray, fs: float, p: WaveletParams
) -> IndexArray:
    """End of the previous beat's T wave (its search limit when not found), -big for beat 0."""
    rr_before, _ = rr_samples(r_idx, fs)
    fallback = np.minimum(p.t_max_s * fs, p.t_max_rr * rr_before).astype(np.int64)
    prev = np.concatenate([np.full((t_end_idx.shape[0], 1), -1), t_end_idx[:, :-1]], axis=1)
    limit = r_idx - rr_before + fallback
    out = np.where(prev >= 0, prev, limit)
    out[:, 0] = r_idx[0] - round(p.p_max_s * fs) - 1
    return out.astype(np.int64)
