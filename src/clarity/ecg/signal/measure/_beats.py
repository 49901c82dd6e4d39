"""Beat windows, median beats and premature-beat classification.

A beat is **premature** when its RR interval is shorter than the local reference (the median of
the neighbouring intervals): by more than 20 % for a supraventricular beat (Kamath and Fallen 1995,
the threshold HRV editing uses), by more than 10 % for a ventricular one. A ventricular beat also
has an **abnormal QRS**: its shape correlates poorly with the dominant template in the usable
leads, or it is wide (≥ 120 ms and ≥ 40 ms wider than the dominant beats), following the
morphology-plus-timing logic of Minnesota Code 8-1 (Prineas et al. 2010). An abnormal QRS followed
by a compensatory pause also counts as ventricular. Where the rhythm around it is regular, a
complex whose QRS and QRS-T both correlate negatively with the dominant ones (opposite in shape,
not merely different) is ventricular whenever it comes: escape beats, accelerated idioventricular
rhythm and end-diastolic PVCs are not premature (MIT-BIH 207's escape rhythm, 124's and 223's
late ventricular beats). In an irregular rhythm such complexes are left to the timing rules:
aberrant conduction in atrial fibrillation changes the QRS as much.

A ventricular beat's abnormal depolarisation also changes its repolarisation (secondary ST-T
changes), so a beat whose QRS still resembles the dominant one but whose QRS-T complex (−60 to
+350 ms) correlates poorly with the dominant QRS-T counts as abnormal too, but only where the
rhythm around it is **regular**: in AF the fibrillatory waves and the RR-dependent T wave distort
every QRS-T. Prematurity only means something against a regular rhythm, so no beat is called
supraventricular where the underlying rhythm (the intervals between non-premature, non-ventricular
beats) is irregular, around the beat or before it. Irregular around it: the normalised RMSSD of
the eight intervals around the beat (the two touching it left out) exceeds 0.1, the AF limit of
Dash et al. (2009), both beat to beat and between every other interval (so that bigeminy, a
regular alternation, is not irregular). Before it: the same for the sinus intervals before it
(below).

The **sinus intervals** before a beat are the last eight intervals between non-ventricular beats
that were not premature against the sinus rhythm before them (by 20 %) and followed another such
interval: the first cycle after an ectopic beat is reset or disturbed (the return cycle of an
atrial premature beat, the compensatory pause and heart-rate turbulence after a ventricular one).
Their median is the sinus RR (or the median around the interval where that is longer, or until
four are known); their normalised RMSSD, beat to beat or between every other interval, whichever
is smaller, says how steady they were.

Many atrial premature beats come only 10-20 % early. Against a steady sinus rhythm (normalised
RMSSD <= 0.05, half the AF limit) a beat 10 % early is supraventricular when the interval after
it is at least 20 % longer than its own: the atria return to the sinus rate at once, where sinus
arrhythmia shortens and lengthens the intervals gradually.

A run of supraventricular tachycardia hides from the median of the intervals around it (the run
sets that median), so runs are found against the sinus RR before them, which premature intervals
do not update. Three or more consecutive intervals premature against it (by 20 %) are a
supraventricular run when the sinus intervals before were steady and the run regular (normalised
RMSSD within the AF limit for both: atrial fibrillation is neither) and the run ends abruptly, its
last interval 20 % shorter than the next (a faster sinus rhythm slows down gradually); a run
still going at the end of the data must have started abruptly instead.

Where ectopic beats outnumber conducted ones (ventricular couplets, trigeminy of couplets), the
median template takes the ectopic shape. When a quarter or more of the beats are unlike the
template and those beats end longer intervals than the others (median ratio to the local
reference higher by 0.2: the compensatory pauses), they are taken as the dominant shape, the
template is rebuilt from them, and the beats unlike it are ventricular without a per-beat
prematurity test (the local reference RR is then the ectopic coupling interval itself).

References
----------
Prineas RJ, Crow RS, Zhang Z-M. The Minnesota Code Manual of Electrocardiographic Findings,
2nd ed. Springer, 2010, section 8-1 (premature beats).
Dash S, Chon KH, Lu S, Raeder EA. Automatic real time detection of atrial fibrillation. Ann Biomed
Eng 2009;37:1701-1709.
de Chazal P, O'Dwyer M, Reilly RB. Automatic classification of heartbeats using ECG morphology and
heartbeat interval features. IEEE Trans Biomed Eng 2004;51:1196-1206.
Schmidt G, Malik M, Barthel P, et al. Heart-rate turbulence after ventricular premature beats as
a predictor of mortality after acute myocardial infarction. Lancet 1999;353:1390-1396.
"""

from __future__ import annotations

import warnings
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal._irregularity import normalised_rmssd
from clarity.ecg.signal._template import median_template_correlation
from clarity.ecg.signal.filters import clean
from clarity.ecg.signal.hrv import local_median
from clarity.ecg.signal.p_lock import p_wave_lock
from clarity.ecg.signal.peaks import detect_r_peaks
from clarity.ecg.signal.validate import FloatArray, IndexArray

# chosen on MIT-BIH DS1 (bench_beats.py), checked on each half (odd and even records) apart:
# 0.8 instead of 0.7 found 10-13 points more ventricular beats at 1-3 points of +P on both, and
# halved the false AF time; the LUDB 12-lead statements did not change
CORRELATION_LIMIT = 0.8
OPPOSITE_CORRELATION = 0.0
ATRIAL_PREMATURITY = 0.8
VENTRICULAR_PREMATURITY = 0.9
PAUSE_RATIO = 1.1
WIDE_QRS_MS = 120.0
WIDER_THAN_DOMINANT_MS = 40.0
_TEMPLATE_WINDOW_MS = (-60.0, 90.0)
_WHOLE_QRS_MS = 50.0
# QRS, ST segment and T wave up to about its peak at a normal QT: a ventricular beat's secondary
# repolarisation changes; with the irregularity guard, checked on both halves of DS1 (V Se +9 and
# +3 points, +P +1.0 and -0.3 points, AF time unchanged)
_QRST_WINDOW_MS = (-60.0, 350.0)
# normalised RMSSD above which RR intervals are irregular (the AF limit of Dash et al. 2009)
IRREGULAR_NRMSSD = 0.1
_RR_HALF_WINDOW = 4
# a run of supraventricular tachycardia: at least three beats (the usual definition)
SVT_MIN_BEATS = 3
# a slightly premature atrial beat: 10 % early against sinus intervals steady to half the AF
# limit, the next interval 20 % longer (checked on both halves of MIT-BIH DS1, bench_beats.py)
SLIGHT_PREMATURITY = 0.9
RETURN_RATIO = 1.2
STEADY_NRMSSD = 0.05
# ectopic beats as the majority shape: the other beats must end intervals this much longer
# (ratio to the local reference median)
_LONGER_BY = 0.2

StrArray = npt.NDArray[np.str_]


def beat_stack(x: FloatArray, centre_idx: IndexArray, before: int, after: int) -> FloatArray:
    """Windows ``[c - before, c + after)`` of every lead around each centre: (beats, leads, w).

    Windows that leave the record repeat its edge samples; callers drop those beats when it matters.
    """
    idx = np.clip(centre_idx[:, None] + np.arange(-before, after)[None, :], 0, x.shape[1] - 1)
    return np.asarray(np.transpose(x[:, idx], (1, 0, 2)), dtype=np.float64)


def whole_complexes(r_idx: IndexArray, fs: float, n_samples: int) -> npt.NDArray[np.bool_]:
    """Beats with ``_WHOLE_QRS_MS`` of record either side of the R peak (a QRS lasts about
    twice that). A complex cut by the record's start or end has no reliable R time or shape:
    it is labelled N, and its intervals are neither evidence of prematurity nor NN intervals
    (LUDB records 2, 115, 124, 134: a QRS starting in the last 20 ms read as a PAC)."""
    margin = int(_WHOLE_QRS_MS * fs / 1000)
    return np.asarray((r_idx - margin >= 0) & (r_idx + margin < n_samples), dtype=bool)


def template_correlation(
    x: FloatArray,
    fs: float,
    r_idx: IndexArray,
    window_ms: tuple[float, float] = _TEMPLATE_WINDOW_MS,
    template_beats: npt.NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Pearson correlation of each beat's QRS (all given leads) with the median QRS template.

    ``window_ms`` is the window around the R peak (default: the QRS). ``template_beats`` (per
    beat) limits the template to those beats (default: all). Beats whose window leaves the
    record get NaN: a truncated complex says nothing about its shape.
    """
    before = int(-window_ms[0] * fs / 1000)
    after = int(window_ms[1] * fs / 1000)
    inside = (r_idx - before >= 0) & (r_idx + after <= x.shape[1])
    corr = np.full(r_idx.size, np.nan)
    if not inside.any():
        return corr
    beats = beat_stack(x, r_idx[inside], before, after)
    beats -= beats.mean(axis=2, keepdims=True)
    chosen = inside if template_beats is None else inside & template_beats
    in_template = chosen[inside] if chosen.any() else np.ones(int(inside.sum()), dtype=bool)
    corr[inside] = median_template_correlation(beats.reshape(beats.shape[0], -1), in_template)
    return corr


@dataclass(frozen=True)
class BeatStream:
    """Beats of a stretch of recording: R peaks, N/S/V labels and the P-wave lock of each
    (``clarity.ecg.signal.p_lock``; NaN for ventricular beats and where it cannot be judged)."""

    r_idx: IndexArray
    labels: StrArray
    p_lock: FloatArray


def detect_and_classify(samples: FloatArray, fs: float) -> BeatStream:
    """R peaks of the leads ``samples`` (raw, mV, leads × n), the N/S/V label and the P-wave lock
    of each beat, without delineation (QRS widths unknown): the beat stream of long and live
    recordings."""
    cleaned = np.atleast_2d(clean(samples, fs))
    peaks = np.asarray(detect_r_peaks(cleaned, fs).indices, dtype=np.int64)
    labels = classify_beats(cleaned, fs, peaks, np.full(peaks.size, np.nan))
    return BeatStream(peaks, labels, p_wave_lock(cleaned, fs, peaks, labels != "V"))


def classify_beats(
    x: FloatArray, fs: float, r_idx: IndexArray, qrs_width_ms: FloatArray
) -> StrArray:
    """N, S or V per beat, from RR prematurity and QRS morphology (see module docstring).

    Parameters
    ----------
    x : cleaned signal of the usable leads (n_leads, n_samples), mV.
    fs : sampling frequency (Hz).
    r_idx : R-peak sample indices.
    qrs_width_ms : per-beat QRS duration (ms), NaN where unknown.
    """
    n = r_idx.size
    labels = np.full(n, "N")
    if n < 4 or x.shape[0] == 0:
        return labels
    rr = np.diff(r_idx) * 1000.0 / fs
    local_reference = local_median(rr, _RR_HALF_WINDOW)
    ratio = rr / local_reference
    before = np.concatenate([[np.nan], ratio])
    after = np.concatenate([ratio, [np.nan]])
    dominant_width = np.nanmedian(qrs_width_ms) if np.isfinite(qrs_width_ms).any() else np.nan
    with np.errstate(invalid="ignore"):
        wide = (qrs_width_ms >= WIDE_QRS_MS) & (
            qrs_width_ms - dominant_width >= WIDER_THAN_DOMINANT_MS
        )
        qrs_corr = template_correlation(x, fs, r_idx)
        dominant = _dominant_shape(qrs_corr < CORRELATION_LIMIT, before)
        if dominant is not None:
            qrs_corr = template_correlation(x, fs, r_idx, template_beats=dominant)
        qrst_corr = template_correlation(x, fs, r_idx, _QRST_WINDOW_MS, template_beats=dominant)
        qrst_abnormal = qrst_corr < CORRELATION_LIMIT
        regular = ~irregular_around(rr, np.ones(rr.size, dtype=bool))
        abnormal = (qrs_corr < CORRELATION_LIMIT) | wide | (qrst_abnormal & regular)
        # where the ectopic shape is the majority, its beats as a group end the shorter
        # intervals (_dominant_shape): the local reference RR is theirs, not the sinus one
        timed = (before < VENTRICULAR_PREMATURITY) | (after > PAUSE_RATIO) | (dominant is not None)
        # a complex opposite to the dominant one, QRS and T alike, is ventricular whenever it
        # comes: escape beats, accelerated idioventricular rhythm, end-diastolic PVCs
        opposite = (qrs_corr < OPPOSITE_CORRELATION) & (qrst_corr < OPPOSITE_CORRELATION)
        ventricular = abnormal & (timed | (opposite & regular))
        # the underlying rhythm: intervals between non-ventricular beats, neither premature nor the
        # return cycle of a premature beat
        premature = ratio < ATRIAL_PREMATURITY
        eligible = ~ventricular[:-1] & ~ventricular[1:]
        underlying = eligible & ~premature & ~np.concatenate([[False], premature[:-1]])
        # the beat after a ventricular one is timed by it (an interpolated PVC halves the
        # interval of the sinus beat that follows): its interval says nothing of the atria
        after_ventricular = np.concatenate([[False], ventricular[:-1]])
        reference, unsteadiness = _sinus_reference(rr, eligible, local_reference)
        steady_before = np.concatenate([[True], ~(unsteadiness > IRREGULAR_NRMSSD)])
        atrial = (
            ~ventricular
            & ~after_ventricular
            & (before < ATRIAL_PREMATURITY)
            & ~irregular_around(rr, underlying)
            & steady_before
        )
        atrial |= supraventricular_runs(rr, eligible, reference, unsteadiness <= IRREGULAR_NRMSSD)
        atrial |= _slightly_premature(rr, eligible, reference, unsteadiness) & ~after_ventricular
        whole = whole_complexes(r_idx, fs, x.shape[1])
        labels[ventricular & whole] = "V"
        labels[atrial & whole] = "S"
    return labels


def supraventricular_runs(
    rr: FloatArray,
    eligible: npt.NDArray[np.bool_],
    reference: FloatArray,
    steady: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """Per beat: inside a run of supraventricular tachycardia (see the module documentation).

    ``rr`` are the intervals (ms), ``eligible`` those between two non-ventricular beats,
    ``reference`` the sinus interval before each and ``steady`` whether the sinus intervals
    before it were steady (``_sinus_reference``).
    """
    short = eligible & (rr < ATRIAL_PREMATURITY * reference)
    in_run = np.zeros(rr.size + 1, dtype=bool)
    start = 0
    while start < rr.size:
        if not short[start]:
            start += 1
            continue
        stop = start  # last interval of the run of short intervals
        while stop + 1 < rr.size and short[stop + 1]:
            stop += 1
        run_rr = rr[start : stop + 1]
        regular = run_rr.size >= SVT_MIN_BEATS and normalised_rmssd(run_rr) <= IRREGULAR_NRMSSD
        # the run must end abruptly (a faster sinus rhythm slows down gradually); one still
        # running at the end of the data must have started abruptly instead
        if stop + 1 < rr.size:
            abrupt = rr[stop] < ATRIAL_PREMATURITY * rr[stop + 1]
        else:
            abrupt = start > 0 and rr[start] < ATRIAL_PREMATURITY * rr[start - 1]
        if regular and steady[start] and abrupt:
            in_run[start + 1 : stop + 2] = True  # interval k ends beat k + 1
        start = stop + 1
    return in_run


def _sinus_reference(
    rr: FloatArray, eligible: npt.NDArray[np.bool_], local_reference: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per interval, the sinus RR before it and how unsteady the sinus intervals were.

    The sinus intervals are the eligible ones that are not premature against the reference and
    follow another such interval (the first cycle after an ectopic beat is reset or disturbed);
    the reference is the median of the last ``2 _RR_HALF_WINDOW`` of them (``local_reference``
    until ``_RR_HALF_WINDOW`` are known, or where that is longer) and the unsteadiness their
    normalised RMSSD, beat to beat or between every other interval, whichever is smaller
    (NaN until known). Premature intervals do not update it, so a run stays premature to
    its end.
    """
    accepted: deque[float] = deque(maxlen=2 * _RR_HALF_WINDOW)
    reference = np.array(local_reference, dtype=np.float64)
    unsteadiness = np.full(rr.size, np.nan)
    previous_sinus = False
    for k, interval in enumerate(rr.tolist()):
        if len(accepted) >= _RR_HALF_WINDOW:
            known = np.fromiter(accepted, dtype=np.float64)
            reference[k] = max(float(np.median(known)), float(local_reference[k]))
            unsteadiness[k] = np.nanmin([normalised_rmssd(known), normalised_rmssd(known, lag=2)])
        sinus = bool(eligible[k]) and interval >= ATRIAL_PREMATURITY * reference[k]
        if sinus and (previous_sinus or k == 0):
            accepted.append(interval)
        previous_sinus = sinus
    return reference, unsteadiness


def _slightly_premature(
    rr: FloatArray, eligible: npt.NDArray[np.bool_], reference: FloatArray, unsteadiness: FloatArray
) -> npt.NDArray[np.bool_]:
    """Per beat: premature by 10-20 % against a steady sinus rhythm, then an abrupt return (see
    the module documentation). Interval k ends beat k + 1."""
    following = np.concatenate([rr[1:], [np.nan]])
    with np.errstate(invalid="ignore"):
        early = (
            eligible
            & (rr < SLIGHT_PREMATURITY * reference)
            & (following >= RETURN_RATIO * rr)
            & (unsteadiness <= STEADY_NRMSSD)
        )
    return np.concatenate([[False], early])


def _dominant_shape(
    unlike: npt.NDArray[np.bool_], before: FloatArray
) -> npt.NDArray[np.bool_] | None:
    """The beats of the sinus (dominant) QRS shape where ectopic beats are the majority shape.

    The median template follows the most frequent shape; in ventricular bigeminy or couplets
    that is the ectopic one, and the conducted beats look "unlike" it. Conducted beats end the
    longer intervals (the compensatory pause), ectopic ones the shorter: when the unlike beats
    are at least a quarter of the beats and their preceding intervals are longer (median ratio
    to the local reference higher by ``_LONGER_BY``), they are the dominant shape. None when the
    median template already is.
    """
    n_unlike = int(unlike.sum())
    if n_unlike < max(3, unlike.size // 4) or n_unlike == unlike.size:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: nothing to compare
        longer = np.nanmedian(before[unlike]) - np.nanmedian(before[~unlike])
    return unlike if longer > _LONGER_BY else None


def irregular_around(rr: FloatArray, use: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Per beat: are the RR intervals around it irregular (see module docstring)?

    The intervals are the ``_RR_HALF_WINDOW`` before and after the beat, without the two touching
    it, among those where ``use`` is true; False where fewer than two can be compared.
    """
    # beat j ends interval j - 1 and starts interval j
    steps = np.arange(1, _RR_HALF_WINDOW + 1)
    offsets = np.concatenate([-1 - steps[::-1], steps])
    idx = np.arange(rr.size + 1)[:, None] + offsets[None, :]
    inside = (idx >= 0) & (idx < rr.size)
    kept = np.where(use, rr, np.nan)
    around = np.where(inside, kept[np.clip(idx, 0, rr.size - 1)], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: nothing to compare
        mean = np.nanmean(around, axis=1)
        lag1 = np.sqrt(np.nanmean(np.diff(around, axis=1) ** 2, axis=1)) / mean
        lag2 = np.sqrt(np.nanmean((around[:, 2:] - around[:, :-2]) ** 2, axis=1)) / mean
    return np.asarray((lag1 > IRREGULAR_NRMSSD) & ~(lag2 <= IRREGULAR_NRMSSD), dtype=bool)


def median_beats(x: FloatArray, r_idx: IndexArray, before: int, after: int) -> FloatArray | None:
    """Sample-wise median of the beats that fit entirely in the record: (leads, w), or None."""
    inside = (r_idx - before >= 0) & (r_idx + after <= x.shape[1])
    if not inside.any():
        return None
    return np.asarray(np.median(beat_stack(x, r_idx[inside], before, after), axis=0))
