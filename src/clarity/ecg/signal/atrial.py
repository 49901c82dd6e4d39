"""Regular atrial waves between the QRS complexes: the flutter-wave test.

In atrial flutter a macro-reentrant circuit activates the atria 240-340 times a minute (typical
flutter; 200-350 with the atypical forms and drugs), and the flutter (F) waves run on without an
isoelectric baseline, through the T wave and the TQ segment alike, at a constant cycle length.
Sinus P waves come once per beat and are followed by a flat baseline; the fibrillatory waves of
atrial fibrillation change cycle length and shape from one wave to the next. So, after the
QRS complexes are cut out, a signal that repeats itself at a lag of 170-300 ms is the sign of
flutter (the autocorrelation method of atrial-rate estimation; the spectral counterpart is the
dominant atrial frequency, Stridh and Sornmo 2001). Only the 3-20 Hz band is kept: the
fundamental of the F waves (3.3-5.8 Hz) and their sawtooth harmonics stay, the slow T wave and
baseline do not.

``atrial_waves`` returns the lag with the largest autocorrelation in that range as an atrial rate
and the autocorrelation there (0-1) as the waves' regularity. Sinus rhythm on LUDB records 1-160
stays below 0.45; the typical flutters with F waves visible between the QRS complexes reach
0.6-0.7 (``benchmarks/bench_interpretation.py``).

References
----------
Stridh M, Sornmo L. Spatiotemporal QRST cancellation techniques for analysis of atrial
fibrillation. IEEE Trans Biomed Eng 2001;48:105-111.
Surawicz B, Knilans TK. Chou's Electrocardiography in Clinical Practice, 6th ed., ch. 14
(atrial flutter: rate, F-wave morphology, conduction ratios).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import sosfiltfilt

from clarity.ecg.signal._design import butter_sos
from clarity.ecg.signal.validate import FloatArray, IndexArray

BAND_HZ = (3.0, 20.0)
CYCLE_S = (0.17, 0.30)  # 350 to 200 atrial waves a minute
QRS_MARGIN_S = 0.01  # cut from 10 ms before the QRS onset to 10 ms after its end
QRS_HALF_S = 0.06  # around the R peak where the delineation has no QRS bounds
EDGE_S = 0.5  # filter transients at the record ends
MIN_DURATION_S = 4.0


@dataclass(frozen=True)
class AtrialWaves:
    """The most regular atrial activity between the QRS complexes.

    Attributes
    ----------
    rate_per_min : its rate (60 / cycle length).
    regularity : normalised autocorrelation (0-1) of the QRS-free signal at that cycle length.
    """

    rate_per_min: float
    regularity: float


def atrial_waves(
    ecg: FloatArray,
    fs: float,
    r_idx: IndexArray,
    qrs_onset_idx: IndexArray,
    qrs_offset_idx: IndexArray,
) -> AtrialWaves | None:
    """Rate and regularity of the atrial waves of ``ecg`` (n_leads, n_samples), mV.

    ``r_idx``, ``qrs_onset_idx`` and ``qrs_offset_idx`` are per beat (-1 where a bound is
    absent). None when the record is shorter than 4 s, the sampling rate cannot hold the band,
    or nothing is left between the QRS complexes.
    """
    n_samples = ecg.shape[-1]
    edge = round(EDGE_S * fs)
    if n_samples < MIN_DURATION_S * fs or fs < 2.5 * BAND_HZ[1]:
        return None
    sos = butter_sos(4, BAND_HZ, "bandpass", fs)
    keep = _outside_qrs(n_samples, fs, r_idx, qrs_onset_idx, qrs_offset_idx)
    x = sosfiltfilt(sos, _bridged(ecg, keep), axis=-1)[:, edge:-edge] * keep[edge:-edge]
    power = float(np.sum(x * x))
    if power <= 0.0:
        return None
    lags = np.arange(round(CYCLE_S[0] * fs), round(CYCLE_S[1] * fs) + 1)
    acf = _autocorrelation(x, int(lags[-1])) / power
    best = int(lags[np.argmax(acf[lags])])
    return AtrialWaves(
        rate_per_min=round(60.0 * fs / best, 1), regularity=round(float(acf[best]), 3)
    )


def _outside_qrs(
    n_samples: int,
    fs: float,
    r_idx: IndexArray,
    onset_idx: IndexArray,
    offset_idx: IndexArray,
) -> npt.NDArray[np.bool_]:
    margin, half = round(QRS_MARGIN_S * fs), round(QRS_HALF_S * fs)
    start = np.where(onset_idx >= 0, onset_idx, r_idx - half) - margin
    stop = np.where(offset_idx >= 0, offset_idx, r_idx + half) + margin
    change = np.zeros(n_samples + 1, dtype=np.int64)
    np.add.at(change, np.clip(start, 0, n_samples), 1)
    np.add.at(change, np.clip(stop + 1, 0, n_samples), -1)
    return np.asarray(np.cumsum(change[:-1]) == 0, dtype=bool)


def _bridged(ecg: FloatArray, keep: npt.NDArray[np.bool_]) -> FloatArray:
    """The QRS complexes replaced by straight lines (no step for the band-pass to ring on)."""
    inside = np.flatnonzero(keep)
    if inside.size < 2:
        return ecg
    k = np.arange(ecg.shape[-1])
    return np.stack([np.interp(k, inside, lead[inside]) for lead in ecg])


def _autocorrelation(x: FloatArray, max_lag: int) -> FloatArray:
    """sum_t x[t] x[t + lag] summed over leads, for lags 0..max_lag (FFT, zero padded). Not
    normalised per lag: pairs that fall in a QRS gap count as zero, so waves seen only in short
    stretches between the QRS complexes (2:1 conduction) score lower than waves seen through
    most of the cycle; normalising per lag instead raised sinus rhythm as much as flutter."""
    n = x.shape[-1]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(x, size, axis=-1)
    acf = np.fft.irfft(np.sum(spectrum * np.conj(spectrum), axis=0), size)
    return np.asarray(acf[: max_lag + 1], dtype=np.float64)
