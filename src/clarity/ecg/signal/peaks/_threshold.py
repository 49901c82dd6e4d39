"""Adaptive-threshold QRS decisions with search-back (Pan-Tompkins / Hamilton-Tompkins rules).

Candidates are local maxima of the QRS envelope at least 200 ms apart. Each is compared with a
threshold a quarter of the way from the running noise-peak level to the running QRS-peak level.
Rules, all from the literature:

* refractory period: no QRS within 200 ms of the previous one (ventricular refractoriness);
* T-wave discrimination: within 360 ms of a QRS, a candidate whose maximal slope is under half
  that of the QRS is a T wave (Pan-Tompkins);
* P-wave (or artefact) look-ahead: a candidate followed within 300 ms by one 1.2 times larger
  yields to it. Two peaks that close are rarely both QRS complexes (only in fast tachycardias,
  where they are alike), and of two competing peaks the larger is kept; a tall P wave with a
  long PR interval is the usual culprit;
* search-back: when no QRS is found for 1.66 mean RR intervals, the largest candidate of the gap
  is taken if it exceeds half the threshold.

References
----------
Pan J., Tompkins W. J. (1985). A real-time QRS detection algorithm. IEEE Trans Biomed Eng
32(3):230-236.
Hamilton P. S., Tompkins W. J. (1986). Quantitative investigation of QRS detection rules using
the MIT/BIH arrhythmia database. IEEE Trans Biomed Eng 33(12):1157-1165.
"""

from __future__ import annotations

import numpy as np

from clarity.ecg.signal.validate import FloatArray, IndexArray

REFRACTORY_S = 0.200
T_WAVE_S = 0.360
LOOKAHEAD_S = 0.300
LOOKAHEAD_RATIO = 1.2
THRESHOLD_FRACTION = 0.25
SEARCHBACK_RR = 1.66
SEARCHBACK_FRACTION = 0.5
_LEARN_S = 8.0
_RR_MEMORY = 8


def _initial_levels(t: list[int], h: list[float], fs: float) -> tuple[float, float]:
    """QRS and noise levels learnt from the first seconds (all candidates if there are few)."""
    first = [hk for tk, hk in zip(t, h, strict=True) if tk < t[0] + _LEARN_S * fs]
    pool = np.asarray(first if len(first) >= 5 else h)
    return float(np.quantile(pool, 0.8)), float(np.quantile(pool, 0.3))


def _yields_ahead(cand_idx: IndexArray, heights: FloatArray, fs: float) -> list[bool]:
    """Candidates followed within ``LOOKAHEAD_S`` by one ``LOOKAHEAD_RATIO`` times larger.

    Candidates are at least one refractory period (200 ms) apart, so only the next one can be
    within 300 ms.
    """
    ahead = np.zeros(cand_idx.size, dtype=bool)
    close = np.diff(cand_idx) < LOOKAHEAD_S * fs
    ahead[:-1] = close & (heights[1:] > LOOKAHEAD_RATIO * heights[:-1])
    flags: list[bool] = ahead.tolist()
    return flags


def _search_back(i: int, last: int, t: list[int], h: list[float], fs: float) -> int:
    """Largest candidate between the last beat (plus refractory period) and ``i``, or -1."""
    start = last + REFRACTORY_S * fs
    best, k = -1, i - 1
    while k >= 0 and t[k] > start:
        if best < 0 or h[k] > h[best]:
            best = k
        k -= 1
    return best


def decide(cand_idx: IndexArray, heights: FloatArray, slopes: FloatArray, fs: float) -> IndexArray:
    """Positions (into ``cand_idx``) of the candidates taken as QRS complexes, in order."""
    if cand_idx.size == 0:
        return np.empty(0, dtype=np.int64)
    t, h, sl = cand_idx.tolist(), heights.tolist(), slopes.tolist()
    ahead = _yields_ahead(cand_idx, heights, fs)
    spk, npk = _initial_levels(t, h, fs)  # Pan-Tompkins SPKI and NPKI
    refractory, t_wave = REFRACTORY_S * fs, T_WAVE_S * fs
    chosen: list[int] = []
    rr: list[int] = []

    def _t_wave(k: int, last: int) -> bool:
        return bool(chosen) and t[k] - last < t_wave and sl[k] < 0.5 * sl[chosen[-1]]

    i = 0
    while i < len(t):
        thr = npk + THRESHOLD_FRACTION * (spk - npk)
        last = t[chosen[-1]] if chosen else -1
        recent = rr[-_RR_MEMORY:]
        if recent and t[i] - last > SEARCHBACK_RR * sum(recent) / len(recent):
            back = _search_back(i, last, t, h, fs)
            if back >= 0 and h[back] > SEARCHBACK_FRACTION * thr and not _t_wave(back, last):
                rr.append(t[back] - last)
                chosen.append(back)
                spk += 0.25 * (h[back] - spk)
                i = back + 1
                continue
        dt = t[i] - last if chosen else np.inf
        if h[i] > thr and not ahead[i] and dt > refractory and not _t_wave(i, last):
            if chosen:
                rr.append(t[i] - last)
            chosen.append(i)
            spk += 0.125 * (h[i] - spk)
        else:
            npk += 0.125 * (h[i] - npk)
        i += 1
    return np.asarray(chosen, dtype=np.int64)
