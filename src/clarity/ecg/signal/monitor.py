"""Beats of a growing recording, window by window, each beat found once.

A recording that grows while it is monitored is analysed in fixed windows (default 10 s) on the
same sample grid however its chunks arrived, each with a few seconds of context on both sides so
that detection and beat classification see whole beats and their neighbours at the edges. A beat
belongs to the window its R peak falls in; one found just before the window start that the
previous window did not keep (its peak placed a few samples later there) is taken, and one within
a refractory period of the previous window's last beat is the same beat found twice and is
dropped. Per window: quality check → clean → multi-lead R peaks → N/S/V classification (RR
prematurity and QRS template correlation, ``measure._beats``), as ``longterm`` does for files.

Rhythm needs a few good leads, not twelve: a window is analysed on at most three usable leads,
the classic monitoring leads II, V1 and V5 first (as a bedside monitor shows them), the others
in their order only when those are missing or unusable. Twelve-lead windows then cost about a
third of what analysing every lead did, with the beats of the leads a clinician would watch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal.measure._beats import detect_and_classify
from clarity.ecg.signal.quality import assess_quality
from clarity.ecg.signal.validate import FloatArray, IndexArray, check_fs
from clarity.ecg.waveform import Waveform

WINDOW_S = 10.0
CONTEXT_S = 3.0
REFRACTORY_S = 0.25
MIN_DETECT_S = 2.0

MONITORING_LEADS = ("II", "V1", "V5")
MAX_LEADS = 3

StrArray = npt.NDArray[np.str_]

__all__ = [
    "CONTEXT_S",
    "MAX_LEADS",
    "MONITORING_LEADS",
    "WINDOW_S",
    "WindowBeats",
    "detect_window_beats",
    "plan_windows",
]


@dataclass(frozen=True)
class WindowBeats:
    """Beats of one window.

    Attributes
    ----------
    r_idx : R-peak indices from the first sample of the recording.
    labels : ``N``, ``S`` or ``V`` per beat.
    p_lock : P-wave lock per beat (``clarity.ecg.signal.p_lock``), NaN where not judged.
    readable : False when no lead was good enough to look for beats.
    grade : signal quality grade of the window with its context.
    """

    r_idx: IndexArray
    labels: StrArray
    p_lock: FloatArray
    readable: bool
    grade: str


def plan_windows(
    cursor_idx: int,
    available_idx: int,
    fs: float,
    *,
    final: bool,
    window_s: float = WINDOW_S,
    context_s: float = CONTEXT_S,
) -> list[tuple[int, int]]:
    """Windows ``[start, stop)`` ready to analyse from ``cursor_idx``, given samples up to ``available_idx``.

    A window is ready once its context after it has arrived too; with ``final`` (no more
    samples will come) the rest is one last, shorter window.
    """
    fs = check_fs(fs)
    window, context = round(window_s * fs), round(context_s * fs)
    windows: list[tuple[int, int]] = []
    start = cursor_idx
    while available_idx - start >= window + context:
        windows.append((start, start + window))
        start += window
    if final and available_idx > start:
        windows.append((start, available_idx))
    return windows


def detect_window_beats(
    samples: FloatArray,
    fs: float,
    leads: tuple[str, ...],
    *,
    segment_start_idx: int,
    window: tuple[int, int],
    previous_r_idx: int | None,
) -> WindowBeats:
    """The beats of ``window`` found in ``samples`` (mV, leads × n), which start at ``segment_start_idx``
    and hold the window with whatever context was available.

    ``previous_r_idx`` is the last beat an earlier window kept (None at the start, or after an
    unreadable stretch it is still given so that a beat is never counted twice).
    """
    fs = check_fs(fs)
    none = WindowBeats(np.empty(0, np.int64), np.empty(0, dtype=str), np.empty(0), True, "good")
    if samples.shape[1] < MIN_DETECT_S * fs:
        return none
    rows, grade = _usable_rows(samples, fs, leads)
    if not rows:
        return replace(none, readable=False, grade=grade)
    beats = detect_and_classify(samples[rows], fs)
    absolute = beats.r_idx + segment_start_idx
    keep = _kept(absolute, window, previous_r_idx, fs)
    return WindowBeats(absolute[keep], beats.labels[keep], beats.p_lock[keep], True, grade)


def _usable_rows(samples: FloatArray, fs: float, leads: tuple[str, ...]) -> tuple[list[int], str]:
    """Up to ``MAX_LEADS`` usable leads, checked in batches of that size, monitoring leads first;
    and the quality grade of the batch they came from (of the first batch when none is usable).
    A batch graded poor as a whole gives no lead, as a recording graded poor did before."""
    first = [leads.index(name) for name in MONITORING_LEADS if name in leads]
    order = first + [i for i in range(len(leads)) if i not in first]
    rows: list[int] = []
    grade: str | None = None
    first_grade: str | None = None
    for start in range(0, len(order), MAX_LEADS):
        batch = order[start : start + MAX_LEADS]
        names = tuple(leads[i] for i in batch)
        quality = assess_quality(Waveform(samples[batch].astype(np.float32), fs, names))
        first_grade = first_grade or quality.grade
        usable = [batch[names.index(n)] for n in quality.usable_leads]
        if quality.grade != "poor" and usable:
            grade = grade or quality.grade
            rows += usable[: MAX_LEADS - len(rows)]
        if len(rows) == MAX_LEADS:
            break
    return sorted(rows), grade or first_grade or "poor"


def _kept(
    r_idx: IndexArray, window: tuple[int, int], previous_r_idx: int | None, fs: float
) -> npt.NDArray[np.bool_]:
    refractory = round(REFRACTORY_S * fs)
    start, stop = window
    keep = (r_idx >= start - refractory) & (r_idx < stop)
    if previous_r_idx is not None:
        keep &= r_idx - previous_r_idx >= refractory
    else:
        keep &= r_idx >= start
    return keep
