"""R-peak (QRS) detection on one lead or fused across leads.

``detect_r_peaks(ecg, fs)`` takes a 1-D lead or an ``(n_leads, n_samples)`` array, raw or
cleaned, at any rate from 50 Hz up, and returns an :class:`RPeaks` with the sample index of each
R peak (the dominant QRS deflection). Methods:

``"tracking"`` (default)
    QRS envelope (5-20 Hz slope energy, quality-weighted across leads), adaptive thresholds with
    search-back for the local levels, then beat tracking by dynamic programming that weighs each
    candidate's evidence against the regularity of the rhythm; in noise (QRS less than seven
    times the envelope background between complexes) the evidence of tall peaks counts less,
    and where noise bursts come near QRS height a peak must also match the shape of the beats
    around it; where there is no noise a premature beat costs less (ectopy is common).
``"threshold"``
    The same envelope with adaptive-threshold decisions only: Pan-Tompkins signal/noise levels
    and search-back, Hamilton-Tompkins rules (refractory period, T-wave slope test, larger-peak
    preference); faster, less robust in noise. Not a replica of the 1985 program: it runs on
    this module's envelope, not on the squared-derivative integration.

With several leads, the R peaks are placed on one lead where it can be (each lead has its own
fiducial point: the R of one lead may be the S of another): the lead that carries the block
best, except for beats it carries less than half as well as their best lead or places more than
50 ms from it, which are placed on their best lead.

Long records are processed in blocks of about ``_CHUNK_SAMPLES`` samples (all leads together) with
a 16 s overlap, so working memory stays near 100 MB whatever the duration: a 24 h two-lead record
at 360 Hz takes about 20 s and 200 MB on top of its samples.

The detector assumes there is an ECG: a constant signal gives no peaks, but white noise gives
spurious ones. Judge the signal first (``clarity.ecg.signal.quality``) where that matters.

References
----------
Pan J., Tompkins W. J. (1985). A real-time QRS detection algorithm. IEEE Trans Biomed Eng
32(3):230-236.
Hamilton P. S., Tompkins W. J. (1986). Quantitative investigation of QRS detection rules using
the MIT/BIH arrhythmia database. IEEE Trans Biomed Eng 33(12):1157-1165.
Ellis D. P. W. (2007). Beat tracking by dynamic programming. J New Music Res 36(1):51-60.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import signal
from scipy.ndimage import maximum_filter1d

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal.peaks._enhance import NOISE_PEAK_QUANTILE, Enhanced, background, enhance
from clarity.ecg.signal.peaks._localise import localise, shape_band
from clarity.ecg.signal.peaks._morphology import match, shapes
from clarity.ecg.signal.peaks._threshold import REFRACTORY_S, decide
from clarity.ecg.signal.peaks._tracking import TEMPLATE_EVIDENCE, evidence, track
from clarity.ecg.signal.validate import FloatArray, IndexArray, as_signal, check_fs

__all__ = ["METHODS", "Method", "RPeaks", "detect_r_peaks"]

Method = Literal["tracking", "threshold"]

MIN_DURATION_S = 0.5
_CHUNK_SAMPLES = 1 << 21
_OVERLAP_S = 16.0
_SLOPE_HALF_S = 0.060
# one fiducial lead per block where it carries the beat (MIT-BIH DS1, two leads, bench_beats.py:
# fiducial SD against the annotations 5.8 -> 4.4 ms, ventricular +P 88.5 -> 92.0 %)
_PRIMARY_WEIGHT = 0.5
_PRIMARY_DISTANCE_S = 0.050

Decider = Callable[[IndexArray, FloatArray, FloatArray, Enhanced, FloatArray, float], IndexArray]


@dataclass(frozen=True, eq=False)
class RPeaks:
    """Detected R peaks.

    Attributes
    ----------
    indices : int64 array (n_beats,)
        Sample index of each R peak (dominant QRS deflection), sorted, unique.
    fs : float
        Sampling frequency in Hz of the signal the indices refer to.
    method : str
        Detector that produced them.
    """

    indices: IndexArray
    fs: float
    method: str = "tracking"

    def __post_init__(self) -> None:
        idx = np.asarray(self.indices, dtype=np.int64).reshape(-1)
        if idx.size > 1 and np.any(np.diff(idx) <= 0):
            raise InvalidSignal("R-peak indices must be strictly increasing")
        idx = idx.copy()
        idx.setflags(write=False)
        object.__setattr__(self, "indices", idx)
        object.__setattr__(self, "fs", check_fs(self.fs))

    def __len__(self) -> int:
        return int(self.indices.size)

    @property
    def times_s(self) -> FloatArray:
        """R-peak times in seconds from the first sample."""
        times: FloatArray = self.indices / self.fs
        return times

    @property
    def rr_s(self) -> FloatArray:
        """RR intervals in seconds (one fewer than the peaks)."""
        rr: FloatArray = np.diff(self.indices) / self.fs
        return rr


def _decide_threshold(
    cand: IndexArray, h: FloatArray, sl: FloatArray, enh: Enhanced, shape: FloatArray, fs: float
) -> IndexArray:
    """Pan & Tompkins (1985) thresholds with Hamilton & Tompkins (1986) rules."""
    return decide(cand, h, sl, fs)


def _decide_tracking(
    cand: IndexArray, h: FloatArray, sl: FloatArray, enh: Enhanced, shape: FloatArray, fs: float
) -> IndexArray:
    """Threshold pass for levels, then DP beat tracking (Ellis 2007) over the candidates, its
    evidence weighed by the signal-to-background ratio of the envelope and, where noise bursts
    come near QRS height, by each candidate's match with the shape of the beats around it."""
    first = decide(cand, h, sl, fs)
    qrs = cand[first]
    level = background(enh.envelope, qrs, cand, fs)
    peaks = background(enh.envelope, qrs, cand, fs, NOISE_PEAK_QUANTILE)
    first_score, _, _ = evidence(cand, h, first, level)
    templates = first[first_score[first] >= TEMPLATE_EVIDENCE]
    matched = match(shapes(enh.band, shape, enh.weights, cand, fs), templates)
    return track(cand, h, sl, first, fs, background=level, noise_peaks=peaks, match=matched)


METHODS: dict[str, Decider] = {
    "tracking": _decide_tracking,
    "threshold": _decide_threshold,
}


def _candidates(enh: Enhanced, fs: float) -> tuple[IndexArray, FloatArray, FloatArray]:
    """Envelope maxima at least one refractory period apart, their heights and maximal slopes."""
    cand, _ = signal.find_peaks(enh.envelope, distance=max(1, int(REFRACTORY_S * fs)))
    cand = cand.astype(np.int64)
    half = max(1, int(_SLOPE_HALF_S * fs))
    slopes = maximum_filter1d(enh.slope, 2 * half + 1)[cand]
    return cand, enh.envelope[cand], slopes


def _locate(peak_idx: IndexArray, shape: FloatArray, enh: Enhanced, fs: float) -> IndexArray:
    """R peak of each beat, on one lead where it can be.

    Each lead has its own fiducial point (the R of one lead is the S of another), so the beats
    are placed on the lead that carries the block best (highest median fusion weight at the
    beats), except where that lead carries a beat less than ``_PRIMARY_WEIGHT`` times as well as
    the best lead there, or puts it more than ``_PRIMARY_DISTANCE_S`` from that lead's point (an
    ectopic beat small in it): those beats are placed on their best lead.
    """
    if peak_idx.size == 0:
        return peak_idx
    at_beats = enh.weights[:, peak_idx]
    lead_of_beat = np.argmax(at_beats, axis=0)
    located = np.empty_like(peak_idx)
    for lead in np.unique(lead_of_beat):
        mine = lead_of_beat == lead
        located[mine] = localise(peak_idx[mine], enh.band[lead], shape[lead], fs)
    primary = int(np.argmax(np.median(at_beats, axis=1)))
    if np.all(lead_of_beat == primary):
        return np.unique(located)
    on_primary = localise(peak_idx, enh.band[primary], shape[primary], fs)
    usable = (at_beats[primary] >= _PRIMARY_WEIGHT * at_beats.max(axis=0)) & (
        np.abs(on_primary - located) <= _PRIMARY_DISTANCE_S * fs
    )
    return np.unique(np.where(usable, on_primary, located))


def _detect_block(x: FloatArray, fs: float, method: str) -> IndexArray:
    """R peaks of one ``(n_leads, n)`` float64 block, block-relative."""
    if x.shape[-1] < 3 or not np.any(np.ptp(x, axis=-1) > 0):
        return np.empty(0, dtype=np.int64)
    enh = enhance(x, fs)
    if not np.any(enh.envelope > 0):
        return np.empty(0, dtype=np.int64)
    cand, heights, slopes = _candidates(enh, fs)
    shape = shape_band(x, fs)
    chosen = METHODS[method](cand, heights, slopes, enh, shape, fs)
    return _locate(cand[chosen], shape, enh, fs)


def _blocks(raw: npt.NDArray[np.generic], fs: float) -> Iterator[tuple[int, int, int, FloatArray]]:
    """(offset, core_start, core_stop, validated float64 block) covering the record."""
    n_leads = 1 if raw.ndim == 1 else raw.shape[0]
    n = raw.shape[-1]
    core = max(int(10 * _OVERLAP_S * fs), _CHUNK_SAMPLES // max(n_leads, 1))
    margin = int(_OVERLAP_S * fs)
    for start in range(0, n, core):
        lo, hi = max(0, start - margin), min(n, start + core + margin)
        block = np.atleast_2d(as_signal(raw[..., lo:hi], fs))
        yield lo, start, min(n, start + core), block


def _merge(parts: list[IndexArray], fs: float) -> IndexArray:
    peaks = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
    if peaks.size < 2:
        return peaks.astype(np.int64)
    keep = np.ones(peaks.size, dtype=bool)
    keep[1:] = np.diff(peaks) >= REFRACTORY_S * fs  # a beat seen by two overlapping blocks
    return peaks[keep].astype(np.int64)


def detect_r_peaks(ecg: npt.ArrayLike, fs: float, *, method: Method = "tracking") -> RPeaks:
    """Detect R peaks in a single-lead or multi-lead ECG.

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples)
        ECG in any unit (millivolts in Clarity), raw or cleaned; leads of a 2-D array are fused,
        each weighted by its signal quality over time, so noisy or flat leads are tolerated.
    fs : float
        Sampling frequency in Hz (50 Hz and up; 80-1000 Hz tested).
    method : {"tracking", "threshold"}
        Detector (see the module documentation).

    Returns
    -------
    RPeaks
        Sorted unique sample indices of the R peaks (dominant QRS deflection); empty for a
        constant signal.

    Raises
    ------
    InvalidSignal
        Wrong shape, NaN or infinite samples, bad ``fs``, unknown ``method``.
    SignalTooShort
        Less than 0.5 s of signal.
    """
    fs = check_fs(fs)
    if method not in METHODS:
        raise InvalidSignal(f"unknown R-peak method {method!r}; choose from {sorted(METHODS)}")
    raw = np.asarray(ecg)
    if (
        raw.ndim not in (1, 2)
        or raw.dtype.kind not in "biuf"
        or raw.shape[-1] < MIN_DURATION_S * fs
    ):
        raw = as_signal(raw, fs, min_duration_s=MIN_DURATION_S)
    parts = []
    for offset, core_lo, core_hi, block in _blocks(raw, fs):
        found = _detect_block(block, fs, method) + offset
        parts.append(found[(found >= core_lo) & (found < core_hi)])
    return RPeaks(_merge(parts, fs), fs, method)
