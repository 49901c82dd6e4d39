"""The ``"wavelet"`` method: multiscale Gaussian-derivative delineation, single or 12-lead.

Follows the scheme of Martinez et al. (2004): QRS boundaries from the modulus of a fine-scale
derivative around each R fiducial; P and T waves at coarser scales inside windows bounded by the
QRS and the RR interval. With several leads the stages run on all leads at once and each stage's
global result bounds the next one: the global QRS bounds the T search and blanks the QRS for
the P/T scales, the global T end of the previous beat opens the P search of the next.

References
----------
J. P. Martinez, R. Almeida, S. Olmos, A. P. Rocha, P. Laguna, "A wavelet-based ECG delineator:
evaluation on standard databases", IEEE Trans. Biomed. Eng. 51(4):570-581, 2004.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clarity.ecg.signal.delineate import _waves as waves
from clarity.ecg.signal.delineate._combine import (
    min_agreeing_leads,
    p_wave_leads,
    refine,
    robust_centre,
)
from clarity.ecg.signal.delineate._transform import (
    BoolArray,
    FloatArray,
    IndexArray,
    gaussian_bank,
)
from clarity.ecg.signal.pacing import detect_pacing_spikes, remove_pacing_spikes

Points = dict[str, IndexArray]


@dataclass(frozen=True)
class MultiLeadPoints:
    """Global points (each (n_beats,)) and per-lead points (each (n_leads, n_beats))."""

    global_points: Points
    lead_points: Points


@dataclass
class _Collector:
    """Global and per-lead points as the stages produce them (record sample indices)."""

    fs: float
    global_points: Points = field(default_factory=dict)
    lead_points: Points = field(default_factory=dict)

    def put(
        self,
        name: str,
        points_idx: IndexArray,
        q: int,
        centre_idx: IndexArray | None = None,
        min_leads: int | None = None,
    ) -> None:
        """Store one point found at rate ``fs / q``: the global point (the median of the leads,
        at least ``min_leads`` of them (default a quarter), or ``centre_idx`` where given and
        found) and the per-lead values."""
        points_idx = _up(points_idx, q)
        if min_leads is None:
            min_leads = min_agreeing_leads(points_idx.shape[0])
        centre = robust_centre(points_idx, min_leads)
        if centre_idx is not None:
            own = _up(centre_idx, q)
            centre = np.where((centre >= 0) & (own >= 0), own, centre)
        p = waves.PARAMS
        max_dev_s = {"p": p.lead_max_dev_p_s, "t": p.lead_max_dev_t_s}.get(
            name[0], p.lead_max_dev_qrs_s
        )
        self.global_points[name] = centre
        self.lead_points[name] = refine(points_idx, centre, round(max_dev_s * self.fs))

    def at_rate(self, name: str, q: int) -> IndexArray:
        """A stored global point at rate ``fs / q``, shaped (1, n_beats)."""
        return _down(self.global_points[name][None, :], q)


def _rate(fs: float, max_fs: float) -> int:
    """Integer decimation that brings ``fs`` to at most ``max_fs`` (1 when already there)."""
    return max(int(fs // max_fs), 1)


def _down(idx: IndexArray, q: int) -> IndexArray:
    return np.where(idx >= 0, np.rint(idx / q), -1).astype(np.int64)


def _up(idx: IndexArray, q: int) -> IndexArray:
    return np.where(idx >= 0, idx * q, -1).astype(np.int64)


def delineate_wavelet(ecg: FloatArray, fs: float, r_idx: IndexArray) -> MultiLeadPoints:
    """Global and per-lead points of every beat of ``ecg`` (n_leads, n_samples)."""
    p = waves.PARAMS
    out = _Collector(fs)
    # pacing spikes would pass for QRS slopes and P waves: the wave finders work without them
    spikes = detect_pacing_spikes(ecg, fs)
    qrs_floor = waves.paced_qrs_floor(r_idx, spikes.index, spikes.end_idx, fs, p)
    if spikes.n_spikes:
        ecg = remove_pacing_spikes(ecg, spikes)
    q = _rate(fs, p.qrs_max_fs)
    ((qrs_level, qrs_slope),) = gaussian_bank(ecg, fs, [p.qrs_sigma_s], q)
    qrs_on, qrs_end, global_on, global_end = waves.find_qrs(
        qrs_level, qrs_slope, fs / q, _down(r_idx, q), _down(qrs_floor, q), p
    )
    out.put("qrs_onset", qrs_on, q, global_on)
    out.put("qrs_offset", qrs_end, q, global_end)
    # the widest of the lead's own and the global QRS is blanked before the P/T scales
    blank_on = _earliest(out.lead_points["qrs_onset"], out.global_points["qrs_onset"])
    blank_end = np.maximum(out.lead_points["qrs_offset"], out.global_points["qrs_offset"])
    blanked = waves.blank_qrs(ecg, r_idx, blank_on, blank_end, fs)
    q = _rate(fs, p.wave_max_fs)
    scales = gaussian_bank(blanked, fs, [p.smooth_sigma_s, p.t_sigma_s, p.p_sigma_s], q)
    _t_stage(scales, fs / q, _down(r_idx, q), _down(blank_end, q), out, q)
    _p_stage(scales, fs / q, _down(r_idx, q), out, q)
    return MultiLeadPoints(global_points=out.global_points, lead_points=out.lead_points)


def _t_stage(
    scales: list[tuple[FloatArray, FloatArray]],
    fs_w: float,
    r_w: IndexArray,
    qrs_end_w: IndexArray,
    out: _Collector,
    q: int,
) -> None:
    (smooth, _), (t_level, t_slope), _ = scales
    t_peak, t_end, _ = waves.find_t(smooth, t_level, t_slope, fs_w, r_w, qrs_end_w, waves.PARAMS)
    out.put("t_peak", t_peak, q)
    out.put("t_offset", t_end, q)


def _p_stage(
    scales: list[tuple[FloatArray, FloatArray]],
    fs_w: float,
    r_w: IndexArray,
    out: _Collector,
    q: int,
) -> None:
    p = waves.PARAMS
    (smooth, _), _, (p_level, p_slope) = scales
    qrs_on = out.at_rate("qrs_onset", q)
    prev_t_end = waves.previous_t_end(r_w, out.at_rate("t_offset", q), fs_w, p)
    p_on, p_peak, p_end, p_amp, p_dominance = waves.find_p(
        smooth, p_level, p_slope, fs_w, r_w, qrs_on, prev_t_end, p
    )
    single = p_peak.shape[0] == 1
    if single:
        start = _typical_p_start(p_peak, p_amp, p_dominance, qrs_on, fs_w, p)
        if start is not None:
            p_on, p_peak, p_end, p_amp, p_dominance = waves.find_p(
                smooth, p_level, p_slope, fs_w, r_w, qrs_on, np.maximum(prev_t_end, start), p
            )
    showing = p_wave_leads(
        p_peak,
        p_amp,
        p_dominance,
        qrs_on[0],
        fs_w,
        min_mv=p.p_single_min_mv if single else p.p_min_mv,
        min_dominance=p.p_single_min_dominance if single else p.p_min_dominance,
        agree_s=p.p_agree_s,
        min_pr_s=p.p_min_pr_s,
        pr_tolerance_s=p.p_single_pr_tolerance_s if single else p.p_pr_tolerance_s,
        min_regular_fraction=p.p_min_regular_fraction,
    )
    if single:
        max_dev = round(p.lead_max_dev_p_s * fs_w)
        p_on = _steady_bound(p_on, p_peak, showing, max_dev)
        p_end = _steady_bound(p_end, p_peak, showing, max_dev)
    # presence is settled (enough leads agree): each point is the median of the leads showing it
    for name, points in (("p_onset", p_on), ("p_peak", p_peak), ("p_offset", p_end)):
        out.put(name, np.where(showing, points, -1), q, min_leads=1)


def _typical_p_start(
    peak_idx: IndexArray,
    amp_mv: FloatArray,
    dominance: FloatArray,
    qrs_on_idx: IndexArray,
    fs: float,
    p: waves.WaveletParams,
) -> IndexArray | None:
    """One lead: where the P search of each beat starts, ``p_single_window_s`` before the
    lead's typical P apex (QRS onset - median PR of the candidates of a first pass); None when
    fewer than two beats have one. Template of the lead's own beats: a T or U wave, or noise,
    further from the QRS than the lead's P wave no longer competes with it."""
    pr = qrs_on_idx - peak_idx
    found = (peak_idx >= 0) & (qrs_on_idx >= 0) & (pr >= p.p_min_pr_s * fs)
    found &= (np.abs(amp_mv) >= p.p_single_min_mv) & (dominance >= p.p_single_min_dominance)
    if found.sum() < 2:
        return None
    start = qrs_on_idx - np.median(pr[found]) - round(p.p_single_window_s * fs)
    return np.where(qrs_on_idx >= 0, np.round(start), -1).astype(np.int64)


def _steady_bound(
    bound_idx: IndexArray, peak_idx: IndexArray, showing: BoolArray, max_dev: int
) -> IndexArray:
    """Per lead, a P boundary kept within ``max_dev`` samples of the lead's median distance
    from the apex over the beats showing the P wave; that distance also stands in where the
    boundary was not found. (The P shape of a lead is steady from beat to beat.)"""
    out = bound_idx.copy()
    measured = showing & (bound_idx >= 0) & (peak_idx >= 0)
    for lead in np.flatnonzero(measured.any(axis=-1)):
        typical = round(float(np.median((bound_idx - peak_idx)[lead, measured[lead]])))
        own = np.where(bound_idx[lead] >= 0, bound_idx[lead] - peak_idx[lead], typical)
        steady = peak_idx[lead] + typical + np.clip(own - typical, -max_dev, max_dev)
        out[lead] = np.where(showing[lead] & (peak_idx[lead] >= 0), steady, bound_idx[lead])
    return out


def _earliest(lead_idx: IndexArray, global_idx: IndexArray) -> IndexArray:
    both = (lead_idx >= 0) & (global_idx >= 0)
    return np.where(both, np.minimum(lead_idx, global_idx), np.maximum(lead_idx, global_idx))
