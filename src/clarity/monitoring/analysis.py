"""Server-side analysis of a recording as it grows: beats, heart rate, findings and alerts.

Each run of the job analyses, in steps, the samples between the cursor ``analyzed_until_idx`` and
the end of the contiguous samples received (for sessions with ``start_sample``, the gap-free
prefix), in 10 s windows with 3 s of context either side (``clarity.ecg.signal.monitor``). While
the session is active only windows whose context has arrived are analysed; once it has ended the
tail is analysed too and the summary is final.

Exactly once
------------
A step is one transaction: it reads the cursor and the carried state (``analysis_state``: last
beat, open episodes, running totals) and analyses the following windows in memory. Only then does
it claim them by moving the cursor with a compare-and-set
(``UPDATE ... WHERE analyzed_until_idx = <the value it read>``), which takes the row's write lock
until the commit, and writes the server metrics, findings, alerts, new state and summary. If
another job moved the cursor first the compare-and-set matches no row and the step rolls back
(``AnalysisRaced``; the job reads the cursor again); if the process dies, nothing of the step was
committed and the retried job starts again from the committed cursor. So every window is analysed
and written exactly once, and no lock is held while the signal is processed (uploads to the same
recording never wait for the analysis, only for its short write).
Live messages are published after the commit (at most once: the stored events are the record).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from clarity.db.engine import after_commit, unit_of_work
from clarity.db.models import MetricSample, Recording, RecordingEvent
from clarity.ecg.signal import episodes
from clarity.ecg.signal.monitor import CONTEXT_S, WindowBeats, detect_window_beats, plan_windows
from clarity.ecg.signal.validate import FloatArray, IndexArray
from clarity.errors import Conflict, NotFound
from clarity.jobs import ANALYZE_RECORDING, enqueue_analysis, job
from clarity.kit.time import as_utc
from clarity.monitoring import alerts, analysis_repository, findings, repository, waveforms
from clarity.monitoring.analysis_state import AnalysisState, summary
from clarity.runtime import Runtime

log = logging.getLogger(__name__)
MAX_WINDOWS_PER_STEP = 30
MAX_VALUES_PER_STEP = 4_000_000
MAX_STEPS_PER_JOB = 100_000
JOB_BUDGET_S = 120.0


class AnalysisRaced(Conflict):
    """Another job analysed these samples first; this step's work was rolled back."""


@job(ANALYZE_RECORDING)
def analyze_recording(runtime: Runtime, recording_id: str) -> None:
    """Analyse whatever part of the recording is ready and not analysed yet, step by step.

    A long backlog is analysed in turns of ``JOB_BUDGET_S``: the job then queues its own
    continuation, so other recordings get their turn and no job outlives the broker's
    visibility timeout.
    """
    started = time.monotonic()
    for _ in range(MAX_STEPS_PER_JOB):
        try:
            with unit_of_work(runtime.session_factory) as db:
                more = analyze_step(db, runtime, recording_id)
        except AnalysisRaced:
            log.info("analysis of %s raced another job; reading the cursor again", recording_id)
            continue
        if not more or runtime.jobs.closing:  # what is left waits for the next run
            return
        if time.monotonic() - started > JOB_BUDGET_S:
            enqueue_analysis(runtime, recording_id)
            return


def resume_unfinished(runtime: Runtime, *, limit: int = 1000) -> int:
    """Queue the analysis of recordings with samples not analysed yet (the server stopped before
    their jobs ran); the number queued. Run at start-up; best effort, never raises."""
    try:
        with unit_of_work(runtime.session_factory) as db:
            pending = analysis_repository.unfinished_recording_ids(db, limit=limit)
    except Exception:
        log.exception("could not look for recordings left unanalysed")
        return 0
    for recording_id in pending:
        enqueue_analysis(runtime, recording_id)
    return len(pending)


@dataclass(frozen=True)
class _Plan:
    cursor_idx: int
    available_idx: int
    t0: datetime
    windows: list[tuple[int, int]]
    final: bool


@dataclass
class _Results:
    r_idx: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    rr_valid: list[bool] = field(default_factory=list)
    p_lock: list[float] = field(default_factory=list)
    rates: list[alerts.WindowRate] = field(default_factory=list)
    metrics: list[MetricSample] = field(default_factory=list)


def analyze_step(db: Session, runtime: Runtime, recording_id: str) -> bool:
    """Analyse the next windows in the caller's unit of work; True if more may be ready."""
    recording = repository.get_recording(db, recording_id)
    if recording is None:
        raise NotFound(f"recording {recording_id} not found")
    state = AnalysisState.from_json(recording.analysis_state)
    plan = _plan(db, recording, state)
    if plan is None:
        return False
    clock = findings.Clock(plan.t0, float(recording.fs or 0.0))
    results = _analyse_windows(db, runtime, recording, plan, state, clock)
    tracker, updates = episodes.advance(
        state.tracker_state(),
        np.asarray(results.r_idx, dtype=np.int64),
        np.asarray(results.labels, dtype=str),
        fs=clock.fs,
        rr_valid=np.asarray(results.rr_valid, dtype=bool),
        p_lock=np.asarray(results.p_lock, dtype=np.float64),
        final=plan.final,
    )
    new_idx = plan.windows[-1][1] if plan.windows else plan.cursor_idx
    if not analysis_repository.claim_cursor(
        db, recording.id, expected_idx=plan.cursor_idx, new_idx=new_idx
    ):
        raise AnalysisRaced("the analysis cursor moved while this step ran")
    ctx = findings.Context(db, runtime.blob_store, recording, clock, plan.available_idx)
    found = findings.record_updates(ctx, state, updates)
    raised = alerts.raise_alerts(
        ctx, state, alerts.rule_for(db, recording.patient_id), results.rates, updates, found
    )
    analysis_repository.add_all(db, list(results.metrics))
    _save(db, recording, plan, state, tracker, new_idx)
    _publish_after_commit(db, runtime, recording, found, raised)
    return not plan.final


def _plan(db: Session, recording: Recording, state: AnalysisState) -> _Plan | None:
    if recording.fs is None or not recording.leads or state.finished:
        return None
    available, t0 = _contiguous_samples(db, recording)
    if t0 is None:
        return None
    ended = recording.status == "ended"
    windows = plan_windows(recording.analyzed_until_idx, available, recording.fs, final=ended)
    windows = windows[: _max_windows(recording)]
    final = ended and (not windows or windows[-1][1] == available)
    if not windows and not final:
        return None
    return _Plan(recording.analyzed_until_idx, available, t0, windows, final)


def _contiguous_samples(db: Session, recording: Recording) -> tuple[int, datetime | None]:
    """Samples from index 0 without a gap, and the time of sample 0."""
    fs = float(recording.fs or 1.0)
    layout = repository.chunk_layout(db, recording.id)
    if not layout:
        return 0, None
    if not recording.indexed:
        return recording.n_samples, as_utc(layout[0][3])
    end, t0 = 0, None
    for _, start_idx, n_samples, timestamp in layout:
        start = int(start_idx or 0)
        if start > end:
            break
        if start == 0:
            t0 = as_utc(timestamp)
        end = max(end, start + n_samples)
    if t0 is None:
        first = layout[0]
        t0 = as_utc(first[3]) - timedelta(seconds=int(first[1] or 0) / fs)
    return end, t0


def _max_windows(recording: Recording) -> int:
    per_window = (len(recording.leads or ()) or 1) * 10.0 * float(recording.fs or 1.0)
    return max(1, min(MAX_WINDOWS_PER_STEP, int(MAX_VALUES_PER_STEP // per_window) - 1))


def _analyse_windows(
    db: Session,
    runtime: Runtime,
    recording: Recording,
    plan: _Plan,
    state: AnalysisState,
    clock: findings.Clock,
) -> _Results:
    results = _Results()
    if not plan.windows:
        return results
    fs, leads = clock.fs, tuple(str(name) for name in recording.leads or ())
    context = round(CONTEXT_S * fs)
    low = max(0, plan.windows[0][0] - context)
    high = min(plan.available_idx, plan.windows[-1][1] + context)
    segment = waveforms.read_segment(
        db, runtime.blob_store, recording, start_s=low / fs, end_s=high / fs, leads=None
    )
    samples = segment.millivolts()
    for start, stop in plan.windows:
        first, last = max(low, start - context), min(high, stop + context)
        beats = detect_window_beats(
            samples[:, first - low : last - low],
            fs,
            leads,
            segment_start_idx=first,
            window=(start, stop),
            previous_r_idx=state.last_r_idx,
        )
        _account(state, results, beats, (start, stop), clock, recording.id)
    return results


def _account(
    state: AnalysisState,
    results: _Results,
    beats: WindowBeats,
    window: tuple[int, int],
    clock: findings.Clock,
    recording_id: str,
) -> None:
    """Add one window's beats to the running totals and to what the step will write."""
    r_idx = beats.r_idx.astype(np.int64)
    previous = state.last_r_idx
    valid = np.ones(r_idx.size, dtype=bool)
    if r_idx.size:
        valid[0] = previous is not None and not state.rr_break and beats.readable
    before = np.concatenate([[previous if previous is not None else 0], r_idx[:-1]])
    rr_s = np.where(valid, (r_idx - before) / clock.fs, np.nan)
    rate = 60.0 / float(np.nanmean(rr_s)) if valid.any() else None
    state.windows += 1
    state.beats += int(r_idx.size)
    state.rr_sum_s += float(np.nansum(rr_s))
    state.rr_count += int(valid.sum())
    state.add_window_rate(rate)
    if not beats.readable:
        state.poor_windows += 1
        state.rr_break = True
    if r_idx.size:
        state.last_r_idx, state.rr_break = int(r_idx[-1]), False
    results.r_idx += r_idx.tolist()
    results.labels += beats.labels.tolist()
    results.rr_valid += valid.tolist()
    results.p_lock += beats.p_lock.tolist()
    longest = _longest(r_idx, rr_s, clock.fs)
    results.rates.append(alerts.WindowRate(window[0], _round(rate), longest))
    results.metrics.append(_metric(recording_id, beats, window, rate, rr_s, clock))


def _longest(r_idx: IndexArray, rr_s: FloatArray, fs: float) -> tuple[int, int, float] | None:
    """(previous R, R, interval in s) of the window's longest measured RR interval."""
    if not np.isfinite(rr_s).any():
        return None
    k = int(np.nanargmax(rr_s))
    return int(r_idx[k]) - round(float(rr_s[k]) * fs), int(r_idx[k]), float(rr_s[k])


def _metric(
    recording_id: str,
    beats: WindowBeats,
    window: tuple[int, int],
    rate: float | None,
    rr_s: FloatArray,
    clock: findings.Clock,
) -> MetricSample:
    labels = beats.labels.tolist()
    return MetricSample(
        recording_id=recording_id,
        source="server",
        timestamp=clock.at(window[0]),
        heart_rate_bpm=_round(rate),
        values={
            "heart_rate": _round(rate),
            "rr_interval": _round(1000.0 * float(np.nanmean(rr_s))) if rate else None,
            "beats": len(labels),
            "pvc": labels.count("V"),
            "pac": labels.count("S"),
            "signal_quality": beats.grade,
            "start_sample": window[0],
            "n_samples": window[1] - window[0],
        },
        status={"source": "server analysis"},
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _save(
    db: Session,
    recording: Recording,
    plan: _Plan,
    state: AnalysisState,
    tracker: episodes.TrackerState,
    new_idx: int,
) -> None:
    state.tracker = tracker.to_json()
    state.finished = plan.final
    ongoing_af = dict(tracker.runs).get("atrial_fibrillation")
    total = summary(
        state,
        tracker,
        fs=float(recording.fs or 1.0),
        analysed_idx=new_idx,
        received_idx=recording.n_samples,
        ongoing_af_samples=(
            ongoing_af.last_idx - ongoing_af.start_idx if ongoing_af and ongoing_af.confirmed else 0
        ),
    )
    analysis_repository.save_analysis(db, recording.id, state=state.to_json(), summary=total)


def _publish_after_commit(
    db: Session,
    runtime: Runtime,
    recording: Recording,
    found: list[RecordingEvent],
    raised: list[RecordingEvent],
) -> None:
    messages = [findings.live_message("finding", recording, e) for e in found]
    messages += [findings.live_message("alert", recording, e) for e in raised]
    if not messages:
        return

    def publish() -> None:
        for message in messages:
            runtime.live.publish(recording.id, message)

    after_commit(db, publish)
