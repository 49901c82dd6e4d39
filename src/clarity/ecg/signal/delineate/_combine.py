"""Combining per-lead fiducial points into global 12-lead ones, and deciding P-wave presence.

Twelve-lead measurement programs report one onset and one end per wave for the whole ECG,
taken across leads with protection against leads where the wave is flat or noisy (Willems et
al. 1985, CSE). Here the global point of a beat is the median of the leads that found it
(robust to a minority of wrong leads), except for the QRS, whose onset comes from the spatial
velocity of all leads and whose end is the later of the median and the spatial-velocity end (a
terminal wave seen in a few leads only, as in bundle branch block, still belongs to the QRS);
a per-lead point may depart from the global one by a few milliseconds only, so that a lead
where the wave is barely visible inherits the boundaries the other leads agree on, as readers
do when they mark every lead of a 12-lead record.

A P wave counts only when it belongs to the beat: several leads agree on where it is, its apex
lies at least half a P wave before the QRS onset, and its distance to the QRS (PR interval) is
stable across the record. Fibrillation and flutter waves, and P waves dissociated from the QRS
(complete AV block, ventricular pacing), are not conducted P waves and are reported absent. The
global P points are the median of the agreeing leads only: where the P wave is small, leads
that do not show it find some other wave, and a median over all leads would follow them.

References
----------
J. L. Willems et al., "Assessment of the performance of electrocardiographic computer programs
with the use of a reference data base", Circulation 71(3):523-534, 1985.
"""

from __future__ import annotations

import numpy as np

from clarity.ecg.signal.delineate._transform import BoolArray, FloatArray, IndexArray


def min_agreeing_leads(n_leads: int) -> int:
    """Leads that must find a wave for it to count globally: a quarter of them, at least one."""
    return max(1, int(np.ceil(n_leads / 4)))


def robust_centre(points_idx: IndexArray, min_leads: int) -> IndexArray:
    """Per beat, the median across leads of the points found (>= 0); -1 if too few leads."""
    found = points_idx >= 0
    counts = found.sum(axis=0)
    # sort the missing ones last and take the middle of the found ones
    ordered = np.sort(np.where(found, points_idx, 2**40), axis=0)
    lo = np.clip((counts - 1) // 2, 0, None)
    hi = np.clip(counts // 2, 0, None)
    cols = np.arange(points_idx.shape[1])
    centre = np.round(0.5 * (ordered[lo, cols] + ordered[hi, cols]))
    return np.where(counts >= max(min_leads, 1), centre, -1).astype(np.int64)


def refine(points_idx: IndexArray, centre_idx: IndexArray, max_dev: int) -> IndexArray:
    """Per-lead points kept within ``max_dev`` samples of the global ones (which fill gaps)."""
    own = np.where(points_idx >= 0, points_idx, centre_idx)
    refined = centre_idx + np.clip(own - centre_idx, -max_dev, max_dev)
    return np.where(centre_idx >= 0, refined, -1).astype(np.int64)


def p_wave_leads(
    peak_idx: IndexArray,
    prominence_mv: FloatArray,
    dominance: FloatArray,
    qrs_on_idx: IndexArray,
    fs: float,
    *,
    min_mv: float,
    min_dominance: float,
    agree_s: float,
    min_pr_s: float,
    pr_tolerance_s: float,
    min_regular_fraction: float,
) -> BoolArray:
    """Per lead and beat, whether the lead shows the beat's conducted P wave (see the module
    notes); a beat has a P wave where any lead does. The global P points are taken from these
    leads only, so that leads that picked another wave (a tiny P seen elsewhere) do not move
    them."""
    found = (peak_idx >= 0) & (np.abs(prominence_mv) >= min_mv) & (dominance >= min_dominance)
    centre = robust_centre(np.where(found, peak_idx, -1), 1)
    agree = found & (np.abs(peak_idx - centre) <= agree_s * fs)
    # no lead near the median (two leads, or a few, that found different waves): the P wave is
    # the one of the lead where it dominates its rivals most
    split = found.any(axis=0) & ~agree.any(axis=0)
    if split.any():
        strongest = np.argmax(np.where(found, dominance, -np.inf), axis=0)
        centre = np.where(split, peak_idx[strongest, np.arange(peak_idx.shape[1])], centre)
        agree = found & (np.abs(peak_idx - centre) <= agree_s * fs)
    pr = qrs_on_idx - centre
    beat_ok = (agree.sum(axis=0) >= min_agreeing_leads(peak_idx.shape[0])) & (qrs_on_idx >= 0)
    beat_ok &= pr >= min_pr_s * fs
    none = np.zeros(agree.shape, dtype=bool)
    if not beat_ok.any():
        return none
    regular = beat_ok & (np.abs(pr - np.median(pr[beat_ok])) <= pr_tolerance_s * fs)
    looked = found.any(axis=0) & (qrs_on_idx >= 0)
    if regular.sum() < min_regular_fraction * max(int(looked.sum()), 1):
        return none
    return np.asarray(agree & regular[None, :], dtype=bool)
