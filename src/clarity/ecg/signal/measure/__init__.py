"""Global ECG measurements: rate, intervals, axes, per-lead amplitudes, HRV and ectopy.

``measure`` follows the 12-lead programs: R peaks detected on all leads together, one global
delineation, ectopic beats set aside, representative intervals as medians over the dominant beats,
amplitudes from a median beat per lead measured against its PR-segment level. What cannot be
measured is None.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal._irregularity import cosen
from clarity.ecg.signal.atrial import AtrialWaves, atrial_waves
from clarity.ecg.signal.axis import Axes
from clarity.ecg.signal.delineate import Delineation, delineate
from clarity.ecg.signal.filters import clean
from clarity.ecg.signal.hrv import hrv_from_rr, nn_mask_from_labels, rr_intervals_ms
from clarity.ecg.signal.measure import _beats, _global, _leads
from clarity.ecg.signal.measure._result import BeatClass, LeadMeasurements, Measurements
from clarity.ecg.signal.p_lock import p_wave_lock
from clarity.ecg.signal.peaks import detect_r_peaks
from clarity.ecg.signal.quality import Quality
from clarity.ecg.signal.validate import FloatArray, IndexArray, as_signal
from clarity.ecg.waveform import Waveform

__all__ = ["BeatClass", "LeadMeasurements", "Measurements", "measure"]

MIN_DURATION_S = 2.0
_MARGIN_S = 0.04
ATRIAL_LEADS = ("II", "III", "aVF", "V1")  # where F waves are largest (inferior leads, V1)


def measure(
    waveform: Waveform,
    *,
    r_peaks: npt.ArrayLike | None = None,
    delineation: Delineation | None = None,
    quality: Quality | None = None,
    cleaned: bool = False,
) -> Measurements:
    """Measure an ECG the way 12-lead interpretation programs do.

    Parameters
    ----------
    waveform : the ECG (mV), any lead set; axes need limb leads.
    r_peaks : R-peak sample indices (or an ``RPeaks``); detected on all leads when omitted.
    delineation : global delineation of those beats; computed when omitted. When given, its
        ``r_peak`` defines the beats.
    quality : signal quality; leads it marks unusable get no amplitudes and do not vote.
    cleaned : True when ``waveform`` already went through ``clean`` (skips a second pass).

    Returns
    -------
    Measurements
        Rate and RR statistics, global PR/QRS/QT (medians over dominant beats), QTc by Bazett and
        Fridericia, P/QRS/T axes (net area, limb leads), per-lead Q/R/S/R' amplitudes, ST level at
        J and J+60 ms against the PR segment, HRV on NN intervals, premature beat counts, the
        fraction of beats with P waves and RR irregularity. Absent waves give None.

    Raises
    ------
    InvalidSignal
        NaN/inf samples, bad shape or sampling rate.
    SignalTooShort
        Less than 2 s of signal.

    References
    ----------
    Kligfield P et al. Recommendations for the standardization and interpretation of the
    electrocardiogram, Part I. Circulation 2007;115:1306-1324.
    """
    fs = waveform.fs
    x = as_signal(waveform.samples, fs, min_duration_s=MIN_DURATION_S)
    if not cleaned:
        x = _pipeline_clean(x, fs)
    d = delineation if delineation is not None else _pipeline_delineate(x, fs, r_peaks)
    _check_beats(d, fs, x.shape[1])
    usable = _usable(waveform, quality)
    r_idx = np.asarray(d.r_peak, dtype=np.int64)
    rr = rr_intervals_ms(r_idx, fs)
    labels = _beats.classify_beats(x[usable], fs, r_idx, _global.qrs_widths_ms(d))
    whole = _beats.whole_complexes(r_idx, fs, x.shape[1])
    dominant = labels == "N" if (labels == "N").any() else np.ones(r_idx.size, dtype=bool)
    rr_mean = float(rr.mean()) if rr.size else None
    iv = _global.intervals(d, dominant, rr_mean)
    leads, axes = _amplitudes(x, waveform.leads, usable, d, dominant)
    cv, nrmssd, entropy = _irregularity(rr, (labels != "V") & whole)
    atrial = _atrial(x, waveform.leads, usable, d)
    lock = p_wave_lock(x[usable], fs, r_idx, (labels != "V") & whole)
    return Measurements(
        fs=fs,
        duration_s=x.shape[1] / fs,
        beat_count=int(r_idx.size),
        heart_rate_bpm=None if rr_mean is None else round(60_000.0 / rr_mean, 1),
        rr_mean_ms=_r(rr_mean),
        rr_min_ms=_r(float(rr.min())) if rr.size else None,
        rr_max_ms=_r(float(rr.max())) if rr.size else None,
        pr_ms=_r(iv.pr_ms),
        p_duration_ms=_r(iv.p_duration_ms),
        qrs_duration_ms=_r(iv.qrs_duration_ms),
        qt_ms=_r(iv.qt_ms),
        qtc_bazett_ms=_r(iv.qtc_bazett_ms),
        qtc_fridericia_ms=_r(iv.qtc_fridericia_ms),
        p_axis_deg=axes.p_deg,
        qrs_axis_deg=axes.qrs_deg,
        t_axis_deg=axes.t_deg,
        hrv=hrv_from_rr(rr, nn=nn_mask_from_labels((labels == "N") & whole)),
        premature_atrial_count=int((labels == "S").sum()),
        premature_ventricular_count=int((labels == "V").sum()),
        beat_classes=tuple(cast(BeatClass, str(label)) for label in labels),
        p_wave_fraction=_global.p_wave_fraction(d, dominant),
        p_wave_lock=round(float(np.nanmedian(lock)), 3) if np.isfinite(lock).any() else None,
        rr_cv=cv,
        rr_nrmssd=nrmssd,
        rr_cosen=entropy,
        atrial_rate_per_min=None if atrial is None else atrial.rate_per_min,
        atrial_regularity=None if atrial is None else atrial.regularity,
        leads=leads,
    )


def _check_beats(d: Delineation, fs: float, n_samples: int) -> None:
    if abs(d.fs - fs) > 1e-6:
        raise InvalidSignal(f"delineation at {d.fs:g} Hz given for a {fs:g} Hz waveform")
    if d.n_beats and (d.r_peak.min() < 0 or d.r_peak.max() >= n_samples):
        raise InvalidSignal(f"R peaks outside the waveform (0 to {n_samples - 1})")


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _usable(waveform: Waveform, quality: Quality | None) -> list[bool]:
    if quality is None:
        return [True] * waveform.n_leads
    ok = set(quality.usable_leads)
    return [name in ok for name in waveform.leads]


def _irregularity(
    rr: FloatArray, usable: npt.NDArray[np.bool_]
) -> tuple[float | None, float | None, float | None]:
    """CV, normalised RMSSD and COSEn of the RR intervals between ``usable`` beats (neither
    ventricular nor cut by the record's ends)."""
    keep = usable[:-1] & usable[1:]
    if keep.sum() < 3:
        return None, None, None
    kept = rr[keep]
    pairs = keep[:-1] & keep[1:]
    diffs = np.diff(rr)[pairs]
    mean = float(kept.mean())
    cv = round(float(kept.std(ddof=1)) / mean, 4)
    nrmssd = round(float(np.sqrt(np.mean(diffs**2))) / mean, 4) if diffs.size else None
    entropy = cosen(kept / 1000.0)
    return cv, nrmssd, round(entropy, 3) if np.isfinite(entropy) else None


def _atrial(
    x: FloatArray, names: tuple[str, ...], usable: list[bool], d: Delineation
) -> AtrialWaves | None:
    """Atrial waves of the usable leads where flutter waves show best (else all usable)."""
    rows = [i for i, name in enumerate(names) if usable[i] and name in ATRIAL_LEADS]
    rows = rows or [i for i in range(len(names)) if usable[i]]
    if not rows or d.n_beats == 0:
        return None
    return atrial_waves(x[rows], d.fs, d.r_peak, d.qrs_onset, d.qrs_offset)


def _amplitudes(
    x: FloatArray,
    names: tuple[str, ...],
    usable: list[bool],
    d: Delineation,
    dominant: npt.NDArray[np.bool_],
) -> tuple[tuple[LeadMeasurements, ...], Axes]:
    """Per-lead amplitudes and axes from the median beats of the dominant beats."""
    empty = tuple(LeadMeasurements(name) for name in names), Axes(None, None, None)
    rep = _global.representative(d, dominant)
    if rep.qrs_onset is None or rep.qrs_offset is None:
        return empty
    fs = d.fs
    margin = round(_MARGIN_S * fs)
    first = min(v for v in (rep.p_onset, rep.qrs_onset) if v is not None)
    last = max(v for v in (rep.t_offset, rep.qrs_offset + round(0.1 * fs)) if v is not None)
    before, after = margin - first, last + margin + 1
    beats = _beats.median_beats(x, d.r_peak[dominant], before, after)
    if beats is None:
        return empty
    pts = _beat_points(rep, (rep.qrs_onset, rep.qrs_offset), before)
    beats = beats - _leads.isoelectric_mv(beats, pts, fs)[:, None]
    leads = tuple(
        _leads.lead_measurements(name, beats[i], pts, fs) if usable[i] else LeadMeasurements(name)
        for i, name in enumerate(names)
    )
    return leads, _leads.frontal_axes(beats, names, usable, pts, fs)


def _beat_points(
    rep: _global.Representative, qrs: tuple[int, int], before: int
) -> _leads.BeatPoints:
    def at(value: int | None) -> int | None:
        return None if value is None else value + before

    return _leads.BeatPoints(
        p_onset=at(rep.p_onset),
        p_offset=at(rep.p_offset),
        qrs_onset=qrs[0] + before,
        qrs_offset=qrs[1] + before,
        t_offset=at(rep.t_offset),
    )


def _pipeline_clean(x: FloatArray, fs: float) -> FloatArray:
    return np.atleast_2d(np.asarray(clean(x, fs), dtype=np.float64))


def _pipeline_delineate(x: FloatArray, fs: float, r_peaks: npt.ArrayLike | None) -> Delineation:
    if r_peaks is None:
        peaks: IndexArray = detect_r_peaks(x, fs).indices
    else:
        peaks = np.asarray(getattr(r_peaks, "indices", r_peaks), dtype=np.int64)
    return delineate(x, fs, peaks)
