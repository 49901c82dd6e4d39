"""Server findings: rhythm episodes as recording events, each with its ECG strip in the blob store.

An episode that lasts (AF, brady/tachycardia, a ventricular run) is written when it is confirmed,
with ``status: "ongoing"``, and completed in place when it ends, so a clinician sees it while it
happens; short ones (a pause) are written once, complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from clarity.db.models import Recording, RecordingEvent
from clarity.ecg.signal.episodes import Episode, EpisodeUpdate
from clarity.kit.ids import new_id
from clarity.kit.time import isoformat_z
from clarity.monitoring import analysis_repository, frames, waveforms
from clarity.monitoring.analysis_state import AnalysisState
from clarity.monitoring.live import Message
from clarity.storage import BlobStore, content_key

FINDING_TYPE = "arrhythmia_detected"
STRIP_BEFORE_S = 4.0
STRIP_AFTER_S = 4.0
STRIP_MAX_S = 20.0
SUSTAINED_VT_S = 30.0
_DESCRIPTIONS = {
    "atrial_fibrillation": "Atrial fibrillation (irregularly irregular RR intervals)",
    "pause": "Pause (no beat for the interval shown)",
    "bradycardia": "Bradycardia run",
    "tachycardia": "Tachycardia run",
    "ventricular_run": "Run of consecutive ventricular beats",
}


@dataclass(frozen=True)
class Clock:
    """Sample index → wall-clock time, from the time of the recording's first sample."""

    t0: datetime
    fs: float

    def at(self, idx: int) -> datetime:
        return self.t0 + timedelta(seconds=idx / self.fs)


@dataclass(frozen=True)
class Context:
    """What writing a finding needs: where, which recording, when, how far samples go."""

    db: Session
    store: BlobStore
    recording: Recording
    clock: Clock
    available_idx: int


def record_updates(
    ctx: Context, state: AnalysisState, updates: list[EpisodeUpdate]
) -> list[RecordingEvent]:
    """Write or complete the finding of every update; the events written, in order."""
    events: list[RecordingEvent] = []
    for update in updates:
        episode = update.episode
        key = episode_key(episode)
        event_id = state.open_events.pop(key, None)
        event = analysis_repository.get_event(ctx.db, event_id) if event_id else None
        if event is None:
            event = _new_finding(ctx, episode)
            state.count_episode(episode.kind)
        else:
            event.payload = _payload(ctx, episode) | {"snippet": event.payload.get("snippet")}
            event.severity = severity(episode, ctx.clock.fs)
        if update.phase == "onset":
            state.open_events[key] = event.id
        elif episode.kind == "atrial_fibrillation":
            state.af_samples += episode.end_idx - episode.start_idx
        events.append(event)
    ctx.db.flush()
    return events


def episode_key(episode: Episode) -> str:
    return f"{episode.kind}:{episode.start_idx}"


def _new_finding(ctx: Context, episode: Episode) -> RecordingEvent:
    strip = store_strip(ctx, episode.start_idx, episode.end_idx)
    event = RecordingEvent(
        id=new_id("event"),
        recording_id=ctx.recording.id,
        source="server",
        type=FINDING_TYPE,
        subtype=episode.kind,
        severity=severity(episode, ctx.clock.fs),
        timestamp=ctx.clock.at(episode.start_idx),
        payload=_payload(ctx, episode) | {"snippet": strip[1] if strip else None},
        snippet_key=strip[0] if strip else None,
    )
    analysis_repository.add_all(ctx.db, [event])
    return event


def severity(episode: Episode, fs: float) -> str:
    """mild / moderate / severe, from what the episode is and how long or fast it was."""
    if episode.kind == "ventricular_run":
        fast = (episode.heart_rate_bpm or 0.0) >= 100.0
        if fast and episode.duration_s(fs) >= SUSTAINED_VT_S:
            return "severe"
        return "moderate" if fast else "mild"
    if episode.kind == "pause":
        return "severe" if episode.duration_s(fs) >= 3.0 else "moderate"
    return "moderate" if episode.kind == "atrial_fibrillation" else "mild"


def _payload(ctx: Context, episode: Episode) -> dict[str, Any]:
    fs = ctx.clock.fs
    name: str = episode.kind
    if name == "ventricular_run" and (episode.heart_rate_bpm or 0.0) >= 100.0:
        name = "ventricular_tachycardia"
    return {
        "type": name,
        "description": _DESCRIPTIONS[episode.kind],
        "status": "ongoing" if episode.ongoing else "ended",
        "start_sample": episode.start_idx,
        "end_sample": episode.end_idx,
        "start_time": isoformat_z(ctx.clock.at(episode.start_idx)),
        "end_time": isoformat_z(ctx.clock.at(episode.end_idx)),
        "duration_s": round(episode.duration_s(fs), 3),
        "n_beats": episode.n_beats,
        "heart_rate_at_event": episode.heart_rate_bpm,
    }


def store_strip(ctx: Context, start_idx: int, end_idx: int) -> tuple[str, dict[str, Any]] | None:
    """Store the samples around ``[start_idx, end_idx]`` (all leads, exactly as sent) as a frame blob."""
    fs = ctx.clock.fs
    first = max(0, start_idx - round(STRIP_BEFORE_S * fs))
    last = min(
        ctx.available_idx,
        end_idx + round(STRIP_AFTER_S * fs),
        first + round(STRIP_MAX_S * fs),
    )
    if last <= first:
        return None
    segment = waveforms.read_segment(
        ctx.db, ctx.store, ctx.recording, start_s=first / fs, end_s=last / fs, leads=None
    )
    frame = frames.Frame(
        fs,
        segment.leads,
        segment.values,
        segment.gain,
        segment.start_idx,
        int(ctx.clock.at(segment.start_idx).timestamp() * 1000),
    )
    blob = frames.pack_blob(frame)
    key = content_key(f"snippets/{ctx.recording.id}", blob, suffix=".clrw.z")
    ctx.store.put(key, blob, content_type="application/octet-stream")
    return key, {
        "start_sample": segment.start_idx,
        "n_samples": frame.n_samples,
        "sampling_rate": fs,
        "leads": list(segment.leads),
        "format": frames.MEDIA_TYPE,
    }


def live_message(kind: str, recording: Recording, event: RecordingEvent) -> Message:
    """The live stream message of a finding or an alert (``kind``: "finding" | "alert")."""
    return {
        "type": kind,
        "session_id": recording.session_id,
        "recording_id": recording.id,
        "event_id": event.id,
        "subtype": event.subtype,
        "severity": event.severity,
        "timestamp": isoformat_z(event.timestamp),
        "payload": event.payload,
    }
