"""Long-term (Holter) analysis in constant memory: ``analyze_stream`` over chunks of a recording.

The recording arrives as an iterable of consecutive ``Waveform`` chunks of any length (a file read
piece by piece, a device upload). It is processed in fixed windows with a few seconds of context on
each side, so no beat is lost or counted twice at a window edge; only the current window and its
context are held. Heart rate, HRV (with a streaming accumulator) and ectopic counts are running
statistics, so memory does not grow with the length of the recording.

Per window: quality check → clean → multi-lead R peaks → premature-beat classification (RR
prematurity and QRS template correlation, as in ``measure``). No delineation: intervals belong to
the 10-second resting ECG, not to a Holter summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal.hrv import Hrv, RunningHrv
from clarity.ecg.signal.measure._beats import detect_and_classify
from clarity.ecg.signal.quality import assess_quality
from clarity.ecg.signal.validate import FloatArray, IndexArray, as_signal
from clarity.ecg.waveform import Waveform

CONTEXT_S = 3.0
MIN_TAIL_S = 2.0
REFRACTORY_S = 0.25  # no two beats closer than this: the same QRS detected twice

__all__ = ["LongTermSummary", "analyze_stream"]


@dataclass(frozen=True)
class LongTermSummary:
    """Summary of a long recording.

    Attributes
    ----------
    duration_s : samples received, in seconds.
    window_count : analysis windows processed.
    poor_quality_windows : windows with a poor quality grade or no usable lead.
    beat_count : beats detected.
    heart_rate_mean_bpm : 60000 / mean RR over the recording.
    heart_rate_min_bpm, heart_rate_max_bpm : lowest and highest window-mean heart rate.
    hrv : time-domain HRV over all NN intervals.
    premature_atrial_count, premature_ventricular_count : premature S and V beats.
    """

    duration_s: float
    window_count: int
    poor_quality_windows: int
    beat_count: int
    heart_rate_mean_bpm: float | None
    heart_rate_min_bpm: float | None
    heart_rate_max_bpm: float | None
    hrv: Hrv
    premature_atrial_count: int
    premature_ventricular_count: int


@dataclass
class _State:
    fs: float
    leads: tuple[str, ...]
    window: int
    context: int
    buffer: FloatArray
    buffer_start: int = 0
    next_window: int = 0
    last_r: int | None = None
    last_normal: bool = False
    hrv: RunningHrv = field(default_factory=RunningHrv)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys("NSV", 0))
    rr_sum_ms: float = 0.0
    rr_count: int = 0
    window_hr: list[float] = field(default_factory=lambda: [np.inf, -np.inf])
    windows: int = 0
    poor: int = 0


def analyze_stream(chunks: Iterable[Waveform], *, window_s: float = 60.0) -> LongTermSummary:
    """Summarise a long ECG given as consecutive chunks, in memory independent of its length.

    Parameters
    ----------
    chunks : consecutive pieces of one recording (same ``fs`` and leads), any lengths.
    window_s : analysis window (s); each is analysed with ``CONTEXT_S`` of context either side.

    Returns
    -------
    LongTermSummary

    Raises
    ------
    InvalidSignal
        Chunks with different sampling rates or leads, NaN samples, or no chunk at all.
    SignalTooShort
        Less than 2 s of signal in total.
    """
    state: _State | None = None
    for chunk in chunks:
        samples = as_signal(chunk.samples, chunk.fs)
        if state is None:
            state = _start(chunk, window_s)
        elif chunk.fs != state.fs or chunk.leads != state.leads:
            raise InvalidSignal(
                "all chunks of a recording must have the same sampling rate and leads"
            )
        state.buffer = np.concatenate([state.buffer, samples], axis=1)
        while _buffer_end(state) >= state.next_window + state.window + state.context:
            _process_window(state, state.next_window + state.window)
    if state is None:
        raise InvalidSignal("no ECG samples received")
    end = _buffer_end(state)
    if end - state.next_window >= MIN_TAIL_S * state.fs or state.windows == 0:
        as_signal(state.buffer, state.fs, min_duration_s=MIN_TAIL_S)
        _process_window(state, end)
    return _summary(state, end)


def _start(chunk: Waveform, window_s: float) -> _State:
    fs = chunk.fs
    window = round(window_s * fs)
    if window < MIN_TAIL_S * fs:
        raise InvalidSignal(f"analysis window must be at least {MIN_TAIL_S:g} s")
    empty = np.empty((chunk.n_leads, 0))
    return _State(fs, chunk.leads, window, round(CONTEXT_S * fs), empty)


def _buffer_end(state: _State) -> int:
    return state.buffer_start + int(state.buffer.shape[1])


def _process_window(state: _State, stop: int) -> None:
    """Analyse ``[next_window, stop)`` with its context, then drop what is no longer needed."""
    start = state.next_window
    seg_start = max(state.buffer_start, start - state.context)
    segment = state.buffer[
        :, seg_start - state.buffer_start : stop + state.context - state.buffer_start
    ]
    peaks, labels = _beats(state, segment)
    r_abs = peaks + seg_start
    # a beat belongs to the window its R peak falls in; detections jitter by a few samples
    # between overlapping windows, so a beat just before ``start`` that the previous window
    # placed after it is taken, and one within the refractory period of the last kept beat is
    # the same beat found twice
    refractory = round(REFRACTORY_S * state.fs)
    keep = (r_abs >= start - refractory) & (r_abs < stop)
    if state.last_r is not None:
        keep &= r_abs > state.last_r + refractory
    _add_beats(state, r_abs[keep], labels[keep])
    state.windows += 1
    state.next_window = stop
    drop = max(0, stop - state.context - state.buffer_start)
    state.buffer = state.buffer[:, drop:].copy()
    state.buffer_start += drop


def _beats(state: _State, segment: FloatArray) -> tuple[IndexArray, np.ndarray]:
    none = np.empty(0, dtype=np.int64), np.empty(0, dtype=str)
    if segment.shape[1] < MIN_TAIL_S * state.fs:
        return none
    quality = assess_quality(Waveform(segment.astype(np.float32), state.fs, state.leads))
    rows = [state.leads.index(name) for name in quality.usable_leads]
    if quality.grade == "poor" or not rows:
        state.poor += 1
        state.last_r = None  # do not bridge an RR interval across an unreadable stretch
        return none
    beats = detect_and_classify(segment[rows], state.fs)
    return beats.r_idx, beats.labels


def _add_beats(state: _State, r_abs: IndexArray, labels: np.ndarray) -> None:
    for label in labels.tolist():
        state.counts[label] += 1
    if r_abs.size == 0:
        return
    normal = labels == "N"
    if state.last_r is not None:
        r_abs = np.concatenate([[state.last_r], r_abs])
        normal = np.concatenate([[state.last_normal], normal])
    rr = np.diff(r_abs) * 1000.0 / state.fs
    state.hrv.update(rr, normal[:-1] & normal[1:])
    if rr.size:
        state.rr_sum_ms += float(rr.sum())
        state.rr_count += int(rr.size)
        hr = 60_000.0 / float(rr.mean())
        state.window_hr = [min(state.window_hr[0], hr), max(state.window_hr[1], hr)]
    state.last_r, state.last_normal = int(r_abs[-1]), bool(normal[-1])


def _summary(state: _State, end: int) -> LongTermSummary:
    low, high = state.window_hr
    return LongTermSummary(
        duration_s=end / state.fs,
        window_count=state.windows,
        poor_quality_windows=state.poor,
        beat_count=sum(state.counts.values()),
        heart_rate_mean_bpm=(
            round(60_000.0 * state.rr_count / state.rr_sum_ms, 1) if state.rr_count else None
        ),
        heart_rate_min_bpm=round(low, 1) if np.isfinite(low) else None,
        heart_rate_max_bpm=round(high, 1) if np.isfinite(high) else None,
        hrv=state.hrv.result(),
        premature_atrial_count=state.counts["S"],
        premature_ventricular_count=state.counts["V"],
    )
