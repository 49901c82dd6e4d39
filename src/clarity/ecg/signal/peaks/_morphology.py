"""Morphology evidence: does a candidate look like the QRS complexes around it?"""

from __future__ import annotations

import numpy as np

from clarity.ecg.signal.validate import FloatArray, IndexArray

ALIGN_S = 0.080
HALF_WINDOW_S = 0.060
NEIGHBOURS = 8


def _windows(x: FloatArray, centre_idx: IndexArray, half: int) -> FloatArray:
    idx = np.clip(centre_idx[:, None] + np.arange(-half, half + 1)[None, :], 0, x.size - 1)
    out: FloatArray = x[idx]
    return out


def unit_windows(
    cand_idx: IndexArray, band: FloatArray, shape: FloatArray, fs: float
) -> FloatArray:
    """Mean-free, unit-norm window of ``shape`` around each candidate's largest band deflection."""
    align = max(1, int(ALIGN_S * fs))
    around = _windows(band, cand_idx, align)
    centre = cand_idx - align + np.argmax(np.abs(around), axis=1)
    w = np.diff(_windows(shape, centre, max(2, int(HALF_WINDOW_S * fs))), axis=1)
    w -= w.mean(axis=1, keepdims=True)
    w /= np.maximum(np.linalg.norm(w, axis=1, keepdims=True), np.finfo(np.float64).tiny)
    return w


MODE = "both"


def similarity(units: FloatArray, cand_idx: IndexArray, beats: IndexArray, rank: int = 1) -> FloatArray:
    """Largest (``rank``-th largest) correlation of each candidate with its nearest beats."""
    if beats.size == 0:
        return np.zeros(cand_idx.size)
    k = NEIGHBOURS
    at = np.searchsorted(cand_idx[beats], cand_idx)
    nb = beats[np.clip(at[:, None] + np.arange(-k, k + 1)[None, :], 0, beats.size - 1)]
    out = np.full(cand_idx.size, -1.0)
    if MODE in ("rank", "both"):
        corr = np.einsum("ij,ikj->ik", units, units[nb])
        corr[nb == np.arange(cand_idx.size)[:, None]] = -1.0
        corr.sort(axis=1)
        out = corr[:, -rank]
    if MODE in ("template", "both"):
        tpl = np.median(units[nb], axis=1)
        tpl -= tpl.mean(axis=1, keepdims=True)
        tpl /= np.maximum(np.linalg.norm(tpl, axis=1, keepdims=True), 1e-300)
        out = np.maximum(out, np.einsum("ij,ij->i", units, tpl))
    return out
