"""Rhythm episodes from beat times and labels: AF, pauses, brady/tachycardia and ventricular runs.

Every beat gets a decision that depends only on a fixed number of beats around it, so the same
episodes come out whether the beats arrive all at once (``detect_episodes``) or a few at a time
while a recording grows (``advance`` with the previous ``TrackerState``): a decision waits until
the beats it needs have arrived, or until ``final``.

* **Atrial fibrillation**: the RR intervals in a window of 32 beats centred on the beat (those
  next to a ventricular beat left out) are irregular by both the coefficient of sample entropy
  (COSEn > −1.4, Lake and Moorman 2011) and the normalised RMSSD (> 0.1, Dash et al. 2009).
  AF also has no P waves: where the beats come with their P-wave lock
  (``clarity.ecg.signal.p_lock``), a window whose median lock is at least 0.75 (the same wave
  before every QRS: an irregular sinus rhythm, frequent atrial ectopy) is not AF; without the
  lock, or where no beat of the window could be judged, the RR test decides alone.
  Detections less than 8 beats apart merge; an episode lasts at least 30 s, the duration that
  defines clinical AF (Hindricks et al. 2021). Premature supraventricular labels inside AF are
  the irregular rhythm itself, not ectopy, and do not count as PACs.
* **Pause**: an RR interval of at least 2.0 s (the customary Holter reporting limit).
* **Bradycardia / tachycardia**: at least 8 consecutive beats whose rate, 60 / median of the 9 RR
  intervals around the beat (robust to a single ectopic beat), is below 50 / above 100 bpm;
  runs less than 4 beats apart merge (a rate hovering at the limit is one episode).
* **Ventricular run**: three or more consecutive ventricular beats (a ventricular tachycardia
  when its rate is at least 100 bpm).

Where the signal could not be read (``rr_valid`` false) no interval is measured and every open
episode closes.

References
----------
Lake DE, Moorman JR. Am J Physiol Heart Circ Physiol 2011;300:H319-H325 (COSEn).
Dash S, Chon KH, Lu S, Raeder EA. Ann Biomed Eng 2009;37:1701-1709 (normalised RMSSD).
Hindricks G, et al. 2020 ESC Guidelines for the diagnosis and management of atrial fibrillation.
Eur Heart J 2021;42:373-498 (an AF episode lasts at least 30 s).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal import _irregularity
from clarity.ecg.signal._runs import Run, RunRules, close_run, step_run
from clarity.ecg.signal.p_lock import LOCKED
from clarity.ecg.signal.validate import FloatArray, IndexArray, check_fs

EpisodeKind = Literal[
    "atrial_fibrillation", "pause", "bradycardia", "tachycardia", "ventricular_run"
]
RUN_KINDS: tuple[EpisodeKind, ...] = (
    "atrial_fibrillation", "bradycardia", "tachycardia", "ventricular_run",
)  # fmt: skip
BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "Episode",
    "EpisodeKind",
    "EpisodeLimits",
    "EpisodeUpdate",
    "TrackerState",
    "advance",
    "detect_episodes",
]


@dataclass(frozen=True)
class EpisodeLimits:
    """Detection limits (see the module docstring for their sources)."""

    pause_s: float = 2.0
    bradycardia_bpm: float = 50.0
    tachycardia_bpm: float = 100.0
    rate_run_beats: int = 8
    rate_half_window_beats: int = 4
    rate_merge_beats: int = 4
    ventricular_run_beats: int = 3
    af_half_window_beats: int = 16
    af_cosen: float = -1.4
    af_nrmssd: float = 0.1
    af_p_lock: float = LOCKED
    af_min_s: float = 30.0
    af_merge_beats: int = 8

    def rules(self, kind: EpisodeKind, fs: float) -> RunRules:
        if kind == "atrial_fibrillation":
            return RunRules(self.af_merge_beats, 0, round(self.af_min_s * fs))
        if kind == "ventricular_run":
            return RunRules(0, self.ventricular_run_beats, 0)
        return RunRules(self.rate_merge_beats, self.rate_run_beats, 0)


@dataclass(frozen=True)
class Episode:
    """One episode. Sample indices count from the first sample of the recording.

    Attributes
    ----------
    kind : what happened.
    start_idx, end_idx : R peaks of its first and last beat (a pause: the beats around it).
    n_beats : beats in the episode.
    heart_rate_bpm : mean rate over its RR intervals (None for a pause).
    ongoing : reported at onset; its end is not known yet.
    """

    kind: EpisodeKind
    start_idx: int
    end_idx: int
    n_beats: int
    heart_rate_bpm: float | None
    ongoing: bool = False

    def duration_s(self, fs: float) -> float:
        return (self.end_idx - self.start_idx) / fs


@dataclass(frozen=True)
class EpisodeUpdate:
    """An episode confirmed (``onset``, still ``ongoing``) or finished (``end``)."""

    phase: Literal["onset", "end"]
    episode: Episode


@dataclass(frozen=True)
class TrackerState:
    """Everything ``advance`` needs from the beats seen so far (JSON-friendly via ``to_json``).

    ``buffer_pos`` is the number of the first buffered beat in the recording, ``decided_pos`` the
    number of the first beat without a decision yet. Counts are of decided beats: N, S (outside
    AF), V, S inside AF, beats in AF.
    """

    fs: float
    buffer_pos: int = 0
    decided_pos: int = 0
    r_idx: tuple[int, ...] = ()
    labels: str = ""
    rr_s: tuple[float | None, ...] = ()
    rr_af_s: tuple[float | None, ...] = ()
    p_lock: tuple[float | None, ...] = ()
    runs: tuple[tuple[EpisodeKind, Run], ...] = ()
    counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    finished: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "fs": self.fs,
            "buffer_pos": self.buffer_pos,
            "decided_pos": self.decided_pos,
            "r_idx": list(self.r_idx),
            "labels": self.labels,
            "rr_s": list(self.rr_s),
            "rr_af_s": list(self.rr_af_s),
            "p_lock": list(self.p_lock),
            "runs": [[kind, run.to_json()] for kind, run in self.runs],
            "counts": list(self.counts),
            "finished": self.finished,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> TrackerState:
        runs = data.get("runs") or []
        counts = data.get("counts") or [0] * 5
        r_idx = tuple(int(v) for v in data["r_idx"])  # type: ignore[attr-defined]  # JSON list
        p_lock = data.get("p_lock") or [None] * len(r_idx)  # states saved before the lock
        assert isinstance(runs, list) and isinstance(counts, list) and isinstance(p_lock, list)
        return cls(
            fs=float(data["fs"]),  # type: ignore[arg-type]  # JSON numbers
            buffer_pos=int(data["buffer_pos"]),  # type: ignore[call-overload]  # JSON numbers
            decided_pos=int(data["decided_pos"]),  # type: ignore[call-overload]  # JSON numbers
            r_idx=r_idx,
            labels=str(data["labels"]),
            rr_s=tuple(data["rr_s"]),  # type: ignore[arg-type]  # JSON list of float | None
            rr_af_s=tuple(data["rr_af_s"]),  # type: ignore[arg-type]  # JSON list of float | None
            p_lock=tuple(p_lock),
            runs=tuple((kind, Run.from_json(run)) for kind, run in runs),
            counts=(int(counts[0]), int(counts[1]), int(counts[2]), int(counts[3]), int(counts[4])),
            finished=bool(data.get("finished", False)),
        )

    @property
    def beats_decided(self) -> int:
        return self.decided_pos

    @property
    def pvc_count(self) -> int:
        return self.counts[2]

    @property
    def pac_count(self) -> int:
        return self.counts[1]

    @property
    def af_beats(self) -> int:
        return self.counts[4]


def detect_episodes(
    r_idx: npt.ArrayLike,
    labels: npt.ArrayLike,
    fs: float,
    *,
    rr_valid: npt.ArrayLike | None = None,
    p_lock: npt.ArrayLike | None = None,
    limits: EpisodeLimits | None = None,
) -> list[Episode]:
    """Every episode in a complete beat sequence.

    Parameters
    ----------
    r_idx : R-peak sample indices, increasing.
    labels : ``N``, ``S`` or ``V`` per beat (anything else counts as ``N``).
    fs : sampling frequency (Hz).
    rr_valid : per beat, whether the interval from the previous beat was measured (default: all).
    p_lock : per beat, its P-wave lock (``clarity.ecg.signal.p_lock``; NaN or absent: unknown).
    limits : detection limits.

    Returns
    -------
    list of Episode, in order of their end.
    """
    _, updates = advance(
        None, r_idx, labels, fs=fs, rr_valid=rr_valid, p_lock=p_lock, final=True, limits=limits
    )
    return [u.episode for u in updates if u.phase == "end"]


def advance(
    state: TrackerState | None,
    r_idx: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    fs: float,
    rr_valid: npt.ArrayLike | None = None,
    p_lock: npt.ArrayLike | None = None,
    final: bool = False,
    limits: EpisodeLimits | None = None,
) -> tuple[TrackerState, list[EpisodeUpdate]]:
    """Add the next beats of a recording; decide every beat whose neighbours are known.

    ``rr_valid[k]`` says whether the interval from the beat before (possibly one of an earlier
    call) to beat ``k`` was measured; the first beat of a recording never has one. ``p_lock[k]``
    is beat ``k``'s P-wave lock (NaN, or no ``p_lock``: unknown). With ``final``
    every remaining beat is decided and open episodes end.
    """
    limits = limits or EpisodeLimits()
    fs = check_fs(fs)
    state = state or TrackerState(fs=fs)
    if state.finished:
        raise ValueError("this recording's episodes were already finished")
    state = _append(state, np.asarray(r_idx, dtype=np.int64), labels, rr_valid, p_lock)
    return _decide(state, limits, final=final)


def _append(
    state: TrackerState,
    r_idx: IndexArray,
    labels: npt.ArrayLike,
    valid: npt.ArrayLike | None,
    p_lock: npt.ArrayLike | None,
) -> TrackerState:
    names = np.asarray(labels, dtype=str)
    lock = np.full(r_idx.size, np.nan) if p_lock is None else np.asarray(p_lock, dtype=np.float64)
    if names.shape != r_idx.shape or lock.shape != r_idx.shape:
        raise ValueError("r_idx, labels and p_lock must have the same length")
    ok = np.ones(r_idx.size, bool) if valid is None else np.asarray(valid, dtype=bool)
    last_r = state.r_idx[-1] if state.r_idx else None
    last_label = state.labels[-1] if state.labels else ""
    previous_r = np.concatenate([[last_r if last_r is not None else -1], r_idx[:-1]])
    previous_label = np.concatenate([[last_label], names[:-1]])
    ok = ok & (previous_r >= 0) & (r_idx > previous_r)
    rr = np.where(ok, (r_idx - previous_r) / state.fs, np.nan)
    ectopic = (names == "V") | (previous_label == "V")
    rr_af = np.where(ectopic, np.nan, rr)
    return replace(
        state,
        r_idx=state.r_idx + tuple(int(v) for v in r_idx),
        labels=state.labels + "".join(n if n in "NSV" else "N" for n in names),
        rr_s=state.rr_s + _json_floats(rr),
        rr_af_s=state.rr_af_s + _json_floats(rr_af),
        p_lock=state.p_lock + _json_floats(np.round(lock, 3)),
    )


def _json_floats(values: FloatArray) -> tuple[float | None, ...]:
    return tuple(None if np.isnan(v) else float(v) for v in values)


def _floats(values: tuple[float | None, ...]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _decide(
    state: TrackerState, limits: EpisodeLimits, *, final: bool
) -> tuple[TrackerState, list[EpisodeUpdate]]:
    n = len(state.r_idx)
    first = state.decided_pos - state.buffer_pos
    stop = n if final else max(first, n - limits.af_half_window_beats)
    rr, rr_af = _floats(state.rr_s), _floats(state.rr_af_s)
    r = np.asarray(state.r_idx, dtype=np.int64)
    flags = _flags(state, limits, rr, rr_af, first, stop)
    runs = dict(state.runs)
    counts = list(state.counts)
    updates: list[EpisodeUpdate] = []
    for offset, p in enumerate(range(first, stop)):
        beat = _Beat(p + state.buffer_pos, int(r[p]), state.labels[p], float(rr[p]))
        updates += _pause(beat, p, r, limits, state.fs)
        flagged = {kind: bool(values[offset]) for kind, values in flags.items()}
        updates += _step_runs(runs, beat, flagged, limits, state.fs)
        _count(counts, beat.label, bool(flags["atrial_fibrillation"][offset]))
    if final:
        updates += _close_all(runs)
    decided = state.buffer_pos + stop
    return _trim(state, decided, runs, counts, limits, final), updates


@dataclass(frozen=True)
class _Beat:
    pos: int
    r_idx: int
    label: str
    rr_s: float


def _flags(
    state: TrackerState,
    limits: EpisodeLimits,
    rr: FloatArray,
    rr_af: FloatArray,
    first: int,
    stop: int,
) -> dict[EpisodeKind, BoolArray]:
    half = limits.af_half_window_beats
    af = _irregularity.irregular_beats(
        rr_af, first, stop, half, limits.af_cosen, limits.af_nrmssd
    ) & ~_p_waves_locked(_floats(state.p_lock), first, stop, half, limits.af_p_lock)
    rate = _irregularity.local_rate_bpm(rr, first, stop, limits.rate_half_window_beats)
    labels = np.array(list(state.labels[first:stop]), dtype=str)
    with np.errstate(invalid="ignore"):
        return {
            "atrial_fibrillation": af,
            "bradycardia": rate < limits.bradycardia_bpm,
            "tachycardia": rate > limits.tachycardia_bpm,
            "ventricular_run": labels == "V",
        }


def _p_waves_locked(
    p_lock: FloatArray, first: int, stop: int, half: int, limit: float
) -> BoolArray:
    """Per beat in ``[first, stop)``: the median P-wave lock of the beats judged in the AF window
    around it (the ``2 * half`` beats of its RR window) reaches ``limit``."""
    locked = np.zeros(stop - first, dtype=bool)
    for offset, p in enumerate(range(first, stop)):
        window = p_lock[max(0, p - half) : p + half]
        window = window[~np.isnan(window)]
        locked[offset] = window.size > 0 and float(np.median(window)) >= limit
    return locked


def _pause(
    beat: _Beat, p: int, r: IndexArray, limits: EpisodeLimits, fs: float
) -> list[EpisodeUpdate]:
    if not beat.rr_s >= limits.pause_s:  # NaN (no measured interval) is no pause
        return []
    previous = beat.r_idx - round(beat.rr_s * fs) if p == 0 else int(r[p - 1])
    return [EpisodeUpdate("end", Episode("pause", previous, beat.r_idx, 2, None))]


def _step_runs(
    runs: dict[EpisodeKind, Run],
    beat: _Beat,
    flags: dict[EpisodeKind, bool],
    limits: EpisodeLimits,
    fs: float,
) -> list[EpisodeUpdate]:
    updates: list[EpisodeUpdate] = []
    for kind in RUN_KINDS:
        run, events = step_run(
            runs.get(kind),
            beat.pos,
            beat.r_idx,
            beat.rr_s,
            flagged=flags[kind],
            rules=limits.rules(kind, fs),
        )
        _store(runs, kind, run)
        updates += [EpisodeUpdate(phase, _episode(kind, r, phase)) for phase, r in events]
    return updates


def _store(runs: dict[EpisodeKind, Run], kind: EpisodeKind, run: Run | None) -> None:
    if run is None:
        runs.pop(kind, None)
    else:
        runs[kind] = run


def _episode(kind: EpisodeKind, run: Run, phase: str) -> Episode:
    rate = 60.0 * run.rr_count / run.rr_sum_s if run.rr_count and run.rr_sum_s > 0 else None
    return Episode(
        kind,
        run.start_idx,
        run.last_idx,
        run.n_beats,
        None if rate is None else round(rate, 1),
        ongoing=phase == "onset",
    )


def _count(counts: list[int], label: str, in_af: bool) -> None:
    if label == "S" and in_af:
        counts[3] += 1
    else:
        counts["NSV".index(label)] += 1
    counts[4] += int(in_af)


def _close_all(runs: dict[EpisodeKind, Run]) -> list[EpisodeUpdate]:
    updates = []
    for kind in RUN_KINDS:
        run = runs.pop(kind, None)
        if run is not None and run.confirmed:
            updates.append(EpisodeUpdate("end", _episode(kind, close_run(run), "end")))
    return updates


def _trim(
    state: TrackerState,
    decided_pos: int,
    runs: dict[EpisodeKind, Run],
    counts: list[int],
    limits: EpisodeLimits,
    final: bool,
) -> TrackerState:
    keep_from = max(state.buffer_pos, decided_pos - limits.af_half_window_beats)
    cut = keep_from - state.buffer_pos
    return replace(
        state,
        buffer_pos=keep_from,
        decided_pos=decided_pos,
        r_idx=state.r_idx[cut:],
        labels=state.labels[cut:],
        rr_s=state.rr_s[cut:],
        rr_af_s=state.rr_af_s[cut:],
        p_lock=state.p_lock[cut:],
        runs=tuple((kind, runs[kind]) for kind in RUN_KINDS if kind in runs),
        counts=(counts[0], counts[1], counts[2], counts[3], counts[4]),
        finished=final,
    )
