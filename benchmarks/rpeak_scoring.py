"""Beat-by-beat scoring of QRS detectors the way ANSI/AAMI EC57 does it.

A detection matches a reference beat when they are at most ``window_s`` apart (150 ms in EC57);
each reference beat and each detection is matched at most once, closest pairs first. Unmatched
reference beats are false negatives, unmatched detections false positives.

Reference beats are the MIT-BIH ``.atr`` annotations whose symbol is a beat label
(``N L R A a J S V F e j E / f Q``). Ventricular flutter/fibrillation episodes (between ``[`` and
``]``) are excluded from QRS scoring, as EC57 (and the ``bxb`` reference program) do: the flutter
waves inside them are annotated ``!`` and are not beats.

References
----------
ANSI/AAMI EC57:2012, Testing and reporting performance results of cardiac rhythm and ST
segment measurement algorithms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BEAT_SYMBOLS = frozenset("NLRAaJSVFejE/fQ")
# MIT-BIH DS1: the 22 records de Chazal et al. (2004) train on, the usual evaluation set
DS1 = (
    *("101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122"),
    *("124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230"),
)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Score:
    """Counts of one comparison (or a sum of several)."""

    tp: int
    fn: int
    fp: int

    @property
    def se_pct(self) -> float:
        """Sensitivity, TP / (TP + FN), in percent."""
        return 100.0 * self.tp / max(self.tp + self.fn, 1)

    @property
    def ppv_pct(self) -> float:
        """Positive predictive value, TP / (TP + FP), in percent."""
        return 100.0 * self.tp / max(self.tp + self.fp, 1)

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fn + other.fn, self.fp + other.fp)


def reference_beats(
    samples: npt.ArrayLike, symbols: npt.ArrayLike
) -> tuple[IntArray, list[tuple[int, int]]]:
    """Beat annotation samples and the excluded (flutter/fibrillation) intervals of a record."""
    samples_idx = np.asarray(samples, dtype=np.int64)
    syms = [str(s) for s in np.asarray(symbols)]
    beats = np.array([s in BEAT_SYMBOLS for s in syms], dtype=bool)
    excluded: list[tuple[int, int]] = []
    start: int | None = None
    for idx, sym in zip(samples_idx.tolist(), syms, strict=True):
        if sym == "[":
            start = idx
        elif sym == "]" and start is not None:
            excluded.append((start, idx))
            start = None
    if start is not None:
        excluded.append((start, int(samples_idx.max()) + 1))
    return samples_idx[beats], excluded


def _outside(points_idx: IntArray, excluded: list[tuple[int, int]]) -> IntArray:
    keep = np.ones(points_idx.size, dtype=bool)
    for lo, hi in excluded:
        keep &= ~((points_idx >= lo) & (points_idx <= hi))
    return points_idx[keep]


def matched_pairs(ref: IntArray, det: IntArray, tol: int) -> tuple[IntArray, IntArray]:
    """One-to-one pairs (indices into the sorted ``ref`` and ``det``) at most ``tol`` samples
    apart, closest pairs first."""
    # Every (reference, detection) pair within the window, by searching each reference's span.
    lo = np.searchsorted(det, ref - tol, side="left")
    hi = np.searchsorted(det, ref + tol, side="right")
    ref_of_pair = np.repeat(np.arange(ref.size), hi - lo)
    spans = [np.arange(a, b) for a, b in zip(lo, hi, strict=True)]
    det_of_pair = np.concatenate(spans or [np.zeros(0, dtype=np.int64)])
    det_of_pair = det_of_pair.astype(np.int64)
    dist = np.abs(ref[ref_of_pair] - det[det_of_pair])
    ref_used = np.zeros(ref.size, dtype=bool)
    det_used = np.zeros(det.size, dtype=bool)
    pairs = []
    for k in np.argsort(dist, kind="stable"):
        r, d = ref_of_pair[k], det_of_pair[k]
        if not ref_used[r] and not det_used[d]:
            ref_used[r] = det_used[d] = True
            pairs.append((r, d))
    out = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return out[:, 0], out[:, 1]


def match_beats(
    reference_idx: npt.ArrayLike,
    detected_idx: npt.ArrayLike,
    fs: float,
    *,
    window_s: float = 0.150,
    excluded: list[tuple[int, int]] | None = None,
) -> Score:
    """Match detections to reference beats one to one within ``window_s`` (closest pairs first)."""
    ref = _outside(np.unique(np.asarray(reference_idx, dtype=np.int64)), excluded or [])
    det = _outside(np.unique(np.asarray(detected_idx, dtype=np.int64)), excluded or [])
    ref_used = np.zeros(ref.size, dtype=bool)
    ref_used[matched_pairs(ref, det, round(window_s * fs))[0]] = True
    tp = int(ref_used.sum())
    return Score(tp=tp, fn=int(ref.size - tp), fp=int(det.size - tp))
