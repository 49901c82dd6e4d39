"""RR-interval irregularity measures for atrial fibrillation detection (private to ``episodes``).

Two published measures over a short window of RR intervals, both needed for an AF decision:

* **COSEn**, the coefficient of sample entropy (Lake and Moorman 2011): the sample entropy of the
  RR series with template length m = 1, converted to a density by adding ln(2r) (the quadratic
  sample entropy, which makes the estimate almost independent of the tolerance r, so r may grow
  until enough matches are found), minus ln(mean RR). High in the unpredictable RR of AF, low in
  sinus rhythm and in regular patterns of ectopy (bigeminy, trigeminy), whose templates repeat.
* **normalised RMSSD** (RMSSD / mean RR; Dash et al. 2009): large beat-to-beat variation. It
  keeps the smooth, slow RR changes of sinus arrhythmia, which COSEn alone can mistake for
  disorder, out of AF.

References
----------
Lake DE, Moorman JR. Accurate estimation of entropy in very short physiological time series: the
problem of atrial fibrillation detection in implanted ventricular devices. Am J Physiol Heart Circ
Physiol 2011;300:H319-H325.
Dash S, Chon KH, Lu S, Raeder EA. Automatic real time detection of atrial fibrillation. Ann Biomed
Eng 2009;37:1701-1709.
Richman JS, Moorman JR. Physiological time-series analysis using approximate entropy and sample
entropy. Am J Physiol Heart Circ Physiol 2000;278:H2039-H2049.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal.validate import FloatArray

R_START_S = 0.030
R_STEP_S = 0.010
R_MAX_S = 0.250
MIN_MATCHES = 5


def quadratic_sample_entropy(rr_s: FloatArray) -> float:
    """Sample entropy (m = 1) plus ln(2r), r growing from 30 ms until 5 matches of length 2.

    NaN when the series has fewer than 4 intervals or no match even at the largest tolerance.
    """
    n = rr_s.size
    if n < 4:
        return float("nan")
    first = np.abs(rr_s[:-1, None] - rr_s[None, :-1])
    both = np.maximum(first, np.abs(rr_s[1:, None] - rr_s[None, 1:]))
    upper = np.triu_indices(n - 1, 1)
    first_d, both_d = first[upper], both[upper]
    r = R_START_S
    while True:
        matches_1 = int(np.count_nonzero(first_d <= r))
        matches_2 = int(np.count_nonzero(both_d <= r))
        if matches_2 >= MIN_MATCHES or r >= R_MAX_S:
            break
        r += R_STEP_S
    if matches_2 == 0:
        return float("nan")
    return float(-np.log(matches_2 / matches_1) + np.log(2.0 * r))


def cosen(rr_s: FloatArray) -> float:
    """Coefficient of sample entropy of an RR series (s): QSE − ln(mean RR), dimensionless."""
    return quadratic_sample_entropy(rr_s) - float(np.log(rr_s.mean()))


def normalised_rmssd(rr_s: FloatArray, lag: int = 1) -> float:
    """RMSSD divided by the mean RR (dimensionless); NaN below ``lag + 2`` intervals. With
    ``lag=2`` the differences are between every other interval (small in a regular alternation
    such as bigeminy)."""
    if rr_s.size < lag + 2:
        return float("nan")
    return float(np.sqrt(np.mean((rr_s[lag:] - rr_s[:-lag]) ** 2)) / rr_s.mean())


def is_irregular(rr_s: FloatArray, *, cosen_limit: float, nrmssd_limit: float) -> bool:
    """Whether an RR series is as irregular as atrial fibrillation by both measures.

    A series where COSEn finds no matches at all is treated as maximally unpredictable.
    """
    spread = normalised_rmssd(rr_s)
    if not spread > nrmssd_limit:
        return False
    entropy = cosen(rr_s)
    return bool(np.isnan(entropy) or entropy > cosen_limit)


def irregular_beats(
    rr_s: FloatArray, first: int, stop: int, half: int, cosen_limit: float, nrmssd_limit: float
) -> npt.NDArray[np.bool_]:
    """Per beat in ``[first, stop)``: the usable intervals (not NaN) among the ``2 * half`` around
    it number at least ``half`` and are irregular (``is_irregular``)."""
    n = rr_s.size
    flags = np.zeros(stop - first, dtype=bool)
    for offset, p in enumerate(range(first, stop)):
        window = rr_s[max(0, p - half) : min(n, p + half)]
        window = window[~np.isnan(window)]
        flags[offset] = window.size >= half and is_irregular(
            window, cosen_limit=cosen_limit, nrmssd_limit=nrmssd_limit
        )
    return flags


def local_rate_bpm(rr_s: FloatArray, first: int, stop: int, half: int) -> FloatArray:
    """Per beat in ``[first, stop)``: 60 / median of the measured intervals within ``half`` beats."""
    n = rr_s.size
    rate = np.full(stop - first, np.nan)
    for offset, p in enumerate(range(first, stop)):
        near = rr_s[max(0, p - half) : min(n, p + half + 1)]
        near = near[~np.isnan(near)]
        if near.size:
            rate[offset] = 60.0 / float(np.median(near))
    return rate
