"""ECG delineation: onset, apex and end of the P wave, QRS complex and T wave of every beat.

``delineate(ecg, fs, r_peaks)`` takes one lead (1-D) or a multi-lead record ``(n_leads,
n_samples)`` and the beats' R peaks, and returns a ``Delineation`` of int64 sample indices, -1
where a wave is absent. A multi-lead input gives the global (12-lead) delineation, with the
per-lead delineations behind it in ``Delineation.leads``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal.delineate._result import ABSENT, POINT_NAMES, Delineation
from clarity.ecg.signal.delineate._transform import FloatArray, IndexArray
from clarity.ecg.signal.delineate._wavelet import MultiLeadPoints, delineate_wavelet
from clarity.ecg.signal.validate import as_signal, check_fs

__all__ = [
    "ABSENT",
    "POINT_NAMES",
    "Delineation",
    "DelineationMethod",
    "delineate",
    "delineate_leads",
]

DelineationMethod = Literal["wavelet"]


class _HasIndices(Protocol):
    @property
    def indices(self) -> npt.NDArray[np.int64]: ...


_Method = Callable[[FloatArray, float, IndexArray], MultiLeadPoints]
_BLOCK_BEATS = 64  # about a minute of beats: long records are delineated block by block
_BLOCK_MARGIN_S = 1.0
_METHODS: dict[str, _Method] = {
    # Martinez et al. 2004 (Gaussian-derivative wavelet), with 12-lead combination: _wavelet.py
    "wavelet": delineate_wavelet,
}


def delineate(
    ecg: npt.ArrayLike,
    fs: float,
    r_peaks: npt.ArrayLike | _HasIndices,
    *,
    method: DelineationMethod = "wavelet",
) -> Delineation:
    """Delineate the P wave, QRS complex and T wave of every beat.

    Parameters
    ----------
    ecg : array, shape (n_samples,) or (n_leads, n_samples), millivolts
        One lead, or the leads of one record (any number; 12 in standard order is the usual
        case). Raw or cleaned: the method band-limits internally and never shifts the signal.
    fs : float
        Sampling frequency in Hz (80 Hz to 1 kHz are the tested rates).
    r_peaks : int array (n_beats,) or an object with ``.indices`` (``RPeaks``)
        One QRS fiducial per beat, strictly increasing sample indices. It may sit on any
        deflection of the QRS: the QRS is searched around it in every lead.
    method : {"wavelet"}
        ``"wavelet"``: multiscale Gaussian-derivative delineation after Martinez et al. (2004);
        with several leads the per-lead points are combined as a 12-lead program does.

    Returns
    -------
    Delineation
        One entry per R peak, -1 where a wave is absent (no P wave in atrial fibrillation or
        flutter, or dissociated from the QRS; a flat T wave) or where a beat is too close to
        the record edge to measure. For multi-lead input the points are global (per beat, the
        median of the leads that found the wave, which must be at least a quarter of them; the
        QRS onset from the leads' spatial velocity, the QRS end the later of the median and
        the spatial-velocity end) and
        ``.leads`` holds one per-lead ``Delineation`` per row: the lead's own point kept within
        6 ms (QRS), 12 ms (P) or 25 ms (T) of the global one, or the global one where the lead
        did not find the wave. P waves are global decisions: present when the leads agree on
        them and the PR interval is stable on at least 70% of the beats. With one lead, the P
        wave is searched near the lead's own typical PR interval, found in a first pass.

    Raises
    ------
    InvalidSignal
        Bad samples, sampling rate, or R peaks (not integers, out of range, not increasing).

    References
    ----------
    J. P. Martinez, R. Almeida, S. Olmos, A. P. Rocha, P. Laguna, "A wavelet-based ECG
    delineator: evaluation on standard databases", IEEE Trans. Biomed. Eng. 51(4):570-581, 2004.
    """
    fs = check_fs(fs)
    signal = as_signal(ecg, fs)
    if method not in _METHODS:
        raise InvalidSignal(f"unknown delineation method {method!r}; one of {sorted(_METHODS)}")
    r_idx = _as_r_peaks(r_peaks, signal.shape[-1])
    leads_2d = signal[None, :] if signal.ndim == 1 else signal
    result = _in_blocks(_METHODS[method], leads_2d, fs, r_idx)
    if signal.ndim == 1:
        return _lead(result, 0, r_idx, fs)
    leads = tuple(_lead(result, i, r_idx, fs) for i in range(leads_2d.shape[0]))
    return Delineation(r_peak=r_idx, fs=fs, leads=leads, **result.global_points)


def delineate_leads(
    ecg: npt.ArrayLike,
    fs: float,
    r_peaks: npt.ArrayLike | _HasIndices,
    *,
    method: DelineationMethod = "wavelet",
) -> tuple[Delineation, ...]:
    """Per-lead delineations of a multi-lead record, in row order (see ``delineate``)."""
    signal = as_signal(ecg, check_fs(fs))
    if signal.ndim != 2:
        raise InvalidSignal(f"delineate_leads needs (n_leads, n_samples), got shape {signal.shape}")
    return delineate(signal, fs, r_peaks, method=method).leads


def _in_blocks(method: _Method, ecg: FloatArray, fs: float, r_idx: IndexArray) -> MultiLeadPoints:
    """Run ``method`` on blocks of ``_BLOCK_BEATS`` beats (plus one neighbour each side).

    Memory stays bounded on long recordings, and record-level decisions (P-wave presence)
    follow rhythm changes block by block.
    """
    n_beats, n_samples = r_idx.size, ecg.shape[-1]
    if n_beats == 0:
        return _no_beats(ecg.shape[0])
    if n_beats <= _BLOCK_BEATS:
        return method(ecg, fs, r_idx)
    margin = round(_BLOCK_MARGIN_S * fs)
    parts: list[MultiLeadPoints] = []
    for start in range(0, n_beats, _BLOCK_BEATS):
        stop = min(start + _BLOCK_BEATS, n_beats)
        lo, hi = max(start - 1, 0), min(stop + 1, n_beats)
        first = max(int(r_idx[lo]) - margin, 0)
        last = min(int(r_idx[hi - 1]) + margin, n_samples)
        part = method(ecg[:, first:last], fs, r_idx[lo:hi] - first)
        keep = slice(start - lo, stop - lo)
        parts.append(
            MultiLeadPoints(
                global_points=_shifted(part.global_points, keep, first),
                lead_points=_shifted(part.lead_points, keep, first),
            )
        )
    return MultiLeadPoints(
        global_points={
            k: np.concatenate([p.global_points[k] for p in parts]) for k in parts[0].global_points
        },
        lead_points={
            k: np.concatenate([p.lead_points[k] for p in parts], axis=-1)
            for k in parts[0].lead_points
        },
    )


def _shifted(points: dict[str, IndexArray], keep: slice, offset: int) -> dict[str, IndexArray]:
    return {k: np.where(v[..., keep] >= 0, v[..., keep] + offset, -1) for k, v in points.items()}


def _no_beats(n_leads: int) -> MultiLeadPoints:
    names = [name for name in POINT_NAMES if name != "r_peak"]
    return MultiLeadPoints(
        global_points={name: np.zeros(0, dtype=np.int64) for name in names},
        lead_points={name: np.zeros((n_leads, 0), dtype=np.int64) for name in names},
    )


def _lead(result: MultiLeadPoints, row: int, r_idx: IndexArray, fs: float) -> Delineation:
    points = {name: values[row] for name, values in result.lead_points.items()}
    return Delineation(r_peak=r_idx, fs=fs, **points)


def _as_r_peaks(r_peaks: npt.ArrayLike | _HasIndices, n_samples: int) -> IndexArray:
    raw = r_peaks.indices if hasattr(r_peaks, "indices") else r_peaks
    try:
        values = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidSignal("R peaks must be sample indices (integers)") from None
    if values.ndim != 1:
        raise InvalidSignal(f"R peaks must be a 1-D array, got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise InvalidSignal("R peaks must be whole sample indices")
    if values.size and (values.min() < 0 or values.max() >= n_samples):
        raise InvalidSignal(f"R peaks must lie within the record (0 to {n_samples - 1})")
    if np.any(np.diff(values) <= 0):
        raise InvalidSignal("R peaks must be strictly increasing")
    return values.astype(np.int64)
