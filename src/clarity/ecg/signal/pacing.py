"""Pacemaker stimulus artefacts ("pacing spikes") in a surface ECG.

A pacemaker pulse lasts 0.1-2 ms (the range AAMI EC11 / IEC 60601-2-25 ask electrocardiographs
to handle). A recorder sampling at 250-1000 Hz band-limits it into a deflection as narrow as its
own band allows: one or two samples at 500 Hz, sometimes followed by an exponential recovery of
the electrode-tissue interface, sometimes seen only as a step. No cardiac wave is that narrow
(the sharpest QRS notches last several ms), so, after the slope-based pace-pulse detectors (a
large slope in a window narrower than any cardiac wave; Jekova et al. 2018), a spike is found
from the multilead slope at two scales:

* **narrow**: at the finest scale the band allows, the slope is at least ``min_narrowness`` x the
  slope at a QRS scale (4 ms) around it. A singularity keeps its wavelet modulus at fine scales
  while a smooth wave loses it (Mallat and Hwang 1992);
* **steep**: that fine-scale slope exceeds ``min_steepness`` x the record's typical QRS slope;
* **from a quiet baseline**: in the 10-30 ms before it the QRS-scale slope stays below
  ``max_prior_activity`` x the typical QRS slope. A stimulus starts a beat; the same sharpness
  inside a QRS (the turn of a tall narrow R wave) is not a stimulus;
* **recurring**: at least ``min_similar`` other spikes of the record have the same lead vector
  (cosine >= ``min_cosine``) and a slope within a factor 2. A pacing lead fires the same dipole
  every time; electrode pops and tremor bursts do not repeat.

Every test uses the slope of all leads together (the Euclidean norm across leads), so a
spike is judged on the leads where it shows. At 250 Hz and below, the record's own band limit
smears spikes towards the width of cardiac waves: fewer are found, not spurious ones.

References
----------
I. Jekova, S. Tabakov, I. Iliev, V. Tsibulko, K. Kostikova, "Real-time detection of pace pulses
in a single lead ECG", Computing in Cardiology 45, 2018, doi:10.22489/CinC.2018.052.
S. Mallat, W. L. Hwang, "Singularity detection and processing with wavelets", IEEE Trans.
Inf. Theory 38(2):617-643, 1992.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from clarity.ecg.signal.validate import FloatArray, IndexArray, as_signal, check_fs

__all__ = ["PacingSpikes", "detect_pacing_spikes", "remove_pacing_spikes"]


@dataclass(frozen=True)
class SpikeParams:
    """Constants of the detector: scales and durations in s, the rest dimensionless."""

    fine_sigma_s: float = 0.001  # at least half a sample: the narrowest scale the band allows
    coarse_sigma_s: float = 0.004  # at least two samples: QRS notches and slurs
    min_narrowness: float = 1.9  # a band-limited step reaches about 2
    min_steepness: float = 1.3
    max_prior_activity: float = 0.45
    # ends 2.5 coarse sigmas before the spike: nearer, the QRS-scale slope sees the spike's own
    # leading edge (a wide rectangular stimulus rises over two samples)
    prior_window_s: tuple[float, float] = (0.030, 0.010)
    min_similar: int = 1
    min_cosine: float = 0.9
    max_slope_ratio: float = 2.0
    weaker_min_narrowness: float = 1.5
    weaker_fraction: float = 0.3
    group_s: float = 0.010  # edges of one spike (rise, fall, overshoot) closer than this
    recovery_fraction: float = 0.1  # the artefact ends when the slope falls below this x spike
    max_recovery_s: float = 0.012
    edge_s: float = 0.05  # filter transients at the record ends are not spikes
    # below this rate the band limit (0.45 fs) smears a pulse as wide as a QRS notch
    min_fs_hz: float = 240.0
    # with one or two leads the lead-vector test is weak: more evidence, finer sampling
    few_leads: int = 2
    few_leads_min_narrowness: float = 3.5
    few_leads_min_steepness: float = 2.5
    few_leads_min_fs_hz: float = 400.0


PARAMS = SpikeParams()


@dataclass(frozen=True)
class PacingSpikes:
    """Pacing spikes found in a record, as int64 sample indices (one entry per spike).

    Attributes
    ----------
    index : the steepest point of the spike's leading edge.
    onset_idx, end_idx : first and last sample of the artefact (spike and recovery).
    slope_mv_s : its slope at the finest scale, Euclidean norm across leads (mV/s).
    fs : sampling frequency in Hz.
    """

    index: IndexArray
    onset_idx: IndexArray
    end_idx: IndexArray
    slope_mv_s: FloatArray
    fs: float

    @property
    def n_spikes(self) -> int:
        """Number of spikes."""
        return len(self.index)


def detect_pacing_spikes(ecg: npt.ArrayLike, fs: float) -> PacingSpikes:
    """Find pacemaker stimulus artefacts in one lead or a multi-lead record.

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples), millivolts
        Raw or cleaned (a low-pass at 150 Hz or at 0.45 fs, as ``clean`` applies, is expected).
    fs : float
        Sampling frequency in Hz; 360 Hz and above resolve spikes best, 250 Hz still finds the
        larger ones.

    Returns
    -------
    PacingSpikes
        The spikes in time order (empty when there are none, or fewer than three alike).

    References
    ----------
    Jekova et al. (2018), Mallat and Hwang (1992): see the module notes.
    """
    fs = check_fs(fs)
    x = as_signal(ecg, fs)
    leads = x[None, :] if x.ndim == 1 else x
    p = PARAMS
    few = leads.shape[0] <= p.few_leads
    if fs < (p.few_leads_min_fs_hz if few else p.min_fs_hz):
        return _empty(fs)
    sc = _Scales.of(leads, fs)
    if sc.typical <= 0.0:
        return _empty(fs)
    narrowness = p.few_leads_min_narrowness if few else p.min_narrowness
    steepness = p.few_leads_min_steepness if few else p.min_steepness
    keep = (sc.v_fine[sc.peaks] >= narrowness * sc.around[sc.peaks]) & (
        sc.v_fine[sc.peaks] >= steepness * sc.typical
    )
    first, last = _group(sc.peaks[keep], round(p.group_s * fs))
    first, last = _quiet_before(first, last, sc, fs)
    first, last = _recurring(first, last, sc)
    if first.size == 0:
        return _empty(fs)
    first, last = _weaker_alike(first, last, sc, fs)
    smear = int(np.ceil(2.0 * sc.fine)) + 1
    onset = np.maximum(first - smear, 0)
    end = _recovery_end(last + smear, sc.v_fine, sc.v_fine[first], round(p.max_recovery_s * fs))
    return PacingSpikes(
        index=first.astype(np.int64),
        onset_idx=onset.astype(np.int64),
        end_idx=end.astype(np.int64),
        slope_mv_s=sc.v_fine[first].astype(np.float64),
        fs=fs,
    )


@dataclass(frozen=True)
class _Scales:
    """Multilead slopes of a record at the fine and the QRS scale, and what is derived."""

    fine: float  # samples
    d_fine: FloatArray  # (n_leads, n_samples) fine-scale slope, mV/s
    v_fine: FloatArray  # its norm across leads
    v_coarse: FloatArray  # norm across leads of the QRS-scale slope
    around: FloatArray  # largest QRS-scale slope nearby
    typical: float  # the record's typical QRS slope
    peaks: IndexArray  # local maxima of v_fine away from the record ends

    @classmethod
    def of(cls, leads: FloatArray, fs: float) -> _Scales:
        p = PARAMS
        fine = max(p.fine_sigma_s * fs, 0.5)
        coarse = max(p.coarse_sigma_s * fs, 2.0)
        d_fine = gaussian_filter1d(leads, fine, axis=-1, order=1, mode="nearest") * fs
        d_coarse = gaussian_filter1d(leads, coarse, axis=-1, order=1, mode="nearest") * fs
        v_fine = np.sqrt(np.sum(d_fine**2, axis=0))
        v_coarse = np.sqrt(np.sum(d_coarse**2, axis=0))
        edge = max(round(p.edge_s * fs), 1)
        peaks = np.flatnonzero(_local_maxima(v_fine))
        return cls(
            fine=fine,
            d_fine=d_fine,
            v_fine=v_fine,
            v_coarse=v_coarse,
            around=maximum_filter1d(v_coarse, size=2 * int(np.ceil(2.0 * coarse)) + 1),
            typical=_typical_peak(v_coarse, fs),
            peaks=peaks[(peaks >= edge) & (peaks < v_fine.size - edge)],
        )

    def unit_vectors(self, idx: IndexArray) -> FloatArray:
        """Lead vectors of the fine-scale slope at ``idx``, unit length, (n_leads, len(idx))."""
        return self.d_fine[:, idx] / np.maximum(self.v_fine[idx], 1e-12)


def remove_pacing_spikes(ecg: npt.ArrayLike, spikes: PacingSpikes) -> FloatArray:
    """Copy of ``ecg`` with each spike's artefact replaced by the line joining its ends.

    The cardiac waves around a spike stay where they are; wave finders then see no spike.
    """
    x = as_signal(ecg, spikes.fs).copy()
    leads = x[None, :] if x.ndim == 1 else x
    last = leads.shape[-1] - 1
    for start, stop in zip(spikes.onset_idx, spikes.end_idx, strict=True):
        a, b = int(max(start, 0)), int(min(stop, last))
        if b - a < 2:
            continue
        frac = np.arange(1, b - a) / (b - a)
        leads[:, a + 1 : b] = leads[:, a, None] + (leads[:, b] - leads[:, a])[:, None] * frac
    return x


def _typical_peak(v_coarse: FloatArray, fs: float) -> float:
    """The record's typical QRS slope: median of the largest QRS-scale slope of each second."""
    n = max(int(fs), 1)
    usable = (v_coarse.size // n) * n
    if usable == 0:
        return float(np.max(v_coarse, initial=0.0))
    return float(np.median(v_coarse[:usable].reshape(-1, n).max(axis=1)))


def _local_maxima(values: FloatArray) -> npt.NDArray[np.bool_]:
    mask = np.zeros(values.shape, dtype=bool)
    mask[1:-1] = (values[1:-1] >= values[:-2]) & (values[1:-1] > values[2:])
    return mask


def _group(peaks: IndexArray, gap: int) -> tuple[IndexArray, IndexArray]:
    """First and last edge of each spike: edges closer than ``gap`` samples are one spike."""
    if peaks.size == 0:
        return peaks, peaks
    starts = np.concatenate([[True], np.diff(peaks) > gap])
    ends = np.concatenate([starts[1:], [True]])
    return peaks[starts], peaks[ends]


def _quiet_before(
    first: IndexArray, last: IndexArray, sc: _Scales, fs: float
) -> tuple[IndexArray, IndexArray]:
    p = PARAMS
    far, near = round(p.prior_window_s[0] * fs), max(round(p.prior_window_s[1] * fs), 3)
    if first.size == 0 or far <= near:
        return first, last
    offsets = np.arange(-far, -near + 1)
    idx = np.clip(first[:, None] + offsets, 0, sc.v_coarse.size - 1)
    quiet = sc.v_coarse[idx].max(axis=1) <= p.max_prior_activity * sc.typical
    return first[quiet], last[quiet]


def _recurring(first: IndexArray, last: IndexArray, sc: _Scales) -> tuple[IndexArray, IndexArray]:
    """Spikes with at least ``min_similar`` look-alikes (lead vector and slope)."""
    p = PARAMS
    if first.size <= p.min_similar:
        return first[:0], last[:0]
    vectors = sc.unit_vectors(first)
    slope = sc.v_fine[first]
    ratio = slope[:, None] / slope[None, :]
    alike = (vectors.T @ vectors >= p.min_cosine) & (ratio <= p.max_slope_ratio)
    alike &= ratio >= 1.0 / p.max_slope_ratio
    keep = alike.sum(axis=1) - 1 >= p.min_similar
    return first[keep], last[keep]


def _weaker_alike(
    first: IndexArray, last: IndexArray, sc: _Scales, fs: float
) -> tuple[IndexArray, IndexArray]:
    """Add the weaker firings of an established pacing dipole.

    A 0.1-2 ms pulse sampled every 1-4 ms shows a height that depends on where the samples
    fall, so firings of the same lead vary: once a dipole recurs, a narrow deflection with its
    lead vector and at least ``weaker_fraction`` of its slope is one of its firings too.
    """
    p = PARAMS
    gap = round(p.group_s * fs)
    taken = np.zeros(sc.v_fine.size, dtype=bool)
    for a, b in zip(first, last, strict=True):
        taken[max(a - gap, 0) : b + gap + 1] = True
    cand = sc.peaks[~taken[sc.peaks]]
    cand = cand[
        (sc.v_fine[cand] >= p.weaker_min_narrowness * sc.around[cand])
        & (sc.v_fine[cand] >= p.weaker_fraction * np.median(sc.v_fine[first]))
    ]
    more_first, more_last = _quiet_before(*_group(cand, gap), sc, fs)
    if more_first.size == 0:
        return first, last
    alike = (sc.unit_vectors(more_first).T @ sc.unit_vectors(first)).max(axis=1) >= p.min_cosine
    all_first = np.concatenate([first, more_first[alike]])
    all_last = np.concatenate([last, more_last[alike]])
    order = np.argsort(all_first)
    return all_first[order], all_last[order]


def _recovery_end(
    end: IndexArray, v_fine: FloatArray, spike_slope: FloatArray, max_n: int
) -> IndexArray:
    """Extend each artefact over its recovery: while the slope stays above a fraction of the
    spike's, for at most ``max_n`` samples."""
    offsets = np.arange(max_n + 1)
    idx = np.minimum(end[:, None] + offsets, v_fine.size - 1)
    settled = v_fine[idx] < PARAMS.recovery_fraction * spike_slope[:, None]
    first_settled = np.where(settled.any(axis=1), np.argmax(settled, axis=1), max_n)
    return np.minimum(end + first_settled, v_fine.size - 1)


def _empty(fs: float) -> PacingSpikes:
    none = np.zeros(0, dtype=np.int64)
    return PacingSpikes(none, none, none, np.zeros(0), fs)
