"""Server analysis of growing recordings: totals, exactly-once under crashes and races, strips."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clarity.db.engine import unit_of_work
from clarity.db.models import MetricSample, Recording, RecordingEvent
from clarity.jobs.base import DiscardQueue
from clarity.monitoring import analysis, analysis_repository, frames
from clarity.runtime import Runtime
from tests.ecg.signal import mitdb_rhythm
from tests.factories.accounts import Account, register, staff
from tests.factories.devices import start
from tests.factories.recordings import (
    beat_train,
    ecg_counts,
    end,
    mitdb_counts,
    settle,
    stream,
)

FS = 250.0


def recording_of(runtime: Runtime, session_id: str) -> Recording:
    with runtime.session_factory() as db:
        row = db.scalars(select(Recording).where(Recording.session_id == session_id)).one()
        db.expunge(row)
        return row


def server_rows(
    runtime: Runtime, recording_id: str
) -> tuple[list[RecordingEvent], list[MetricSample]]:
    with runtime.session_factory() as db:
        events = db.scalars(
            select(RecordingEvent)
            .where(RecordingEvent.recording_id == recording_id, RecordingEvent.source == "server")
            .order_by(RecordingEvent.timestamp, RecordingEvent.type)
        ).all()
        metrics = db.scalars(
            select(MetricSample)
            .where(MetricSample.recording_id == recording_id, MetricSample.source == "server")
            .order_by(MetricSample.timestamp)
        ).all()
        return list(events), list(metrics)


def paused_rhythm(duration_s: float = 60.0) -> list[float]:
    """72 bpm with one 3.5 s pause at 30 s."""
    return [t for t in beat_train(duration_s) if not 30.0 < t < 33.0]


def test_a_session_gets_a_server_summary_metrics_and_its_cursor_at_the_end(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    counts = ecg_counts(beat_train(60.0), 60.0, FS)
    stream(client, device, session_id, counts, fs=FS, chunk_s=5.0)
    end(client, device, session_id)
    settle(runtime)
    data = client.get(f"/api/v1/sessions/{session_id}/data", headers=device.headers).json()
    summary = data["server_summary"]
    assert summary["complete"] is True and summary["duration_seconds"] == 60.0
    assert abs(summary["total_heartbeats"] - len(beat_train(60.0))) <= 1
    assert summary["average_heart_rate"] == pytest.approx(72.0, abs=1.0)
    assert summary["arrhythmias_detected"] == [] and summary["signal_quality"] == "good"
    server = [m for m in data["metrics_timeline"] if m["source"] == "server"]
    assert len(server) == 6
    assert all(m["metrics"]["heart_rate"] == pytest.approx(72.0, abs=2.0) for m in server)
    assert recording_of(runtime, session_id).analyzed_until_idx == counts.shape[1]


def test_analysis_follows_a_growing_session_and_any_chunking_gives_the_same_result(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    counts = ecg_counts(paused_rhythm(), 60.0, FS)
    growing = start(client, device)
    stream(client, device, growing, counts[:, : round(35 * FS)], fs=FS, chunk_s=2.5)
    settle(runtime)
    partial = recording_of(runtime, growing)
    assert partial.analyzed_until_idx == round(30 * FS)  # 30-40 s needs 3 s after it
    assert partial.server_summary is not None and partial.server_summary["complete"] is False
    rest = round(35 * FS)
    stream(client, device, growing, counts[:, rest:], fs=FS, chunk_s=7.0, first_idx=rest)
    end(client, device, growing)
    at_once = start(client, device)
    stream(client, device, at_once, counts, fs=FS, chunk_s=60.0)
    end(client, device, at_once)
    settle(runtime)
    first, second = recording_of(runtime, growing), recording_of(runtime, at_once)
    assert first.server_summary == second.server_summary
    assert first.server_summary is not None and first.server_summary["episodes"] == {"pause": 1}
    events = [server_rows(runtime, r.id)[0] for r in (first, second)]
    assert [(e.subtype, e.payload["start_sample"]) for e in events[0]] == [
        (e.subtype, e.payload["start_sample"]) for e in events[1]
    ]


def test_indexed_session_is_analysed_up_to_its_first_gap(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    counts = ecg_counts(beat_train(50.0), 50.0, FS)
    ten = round(10 * FS)

    def send(first_s: int) -> None:
        lo = first_s * round(FS)
        stream(
            client, device, session_id, counts[:, lo : lo + ten], fs=FS, indexed=True, first_idx=lo
        )

    send(0)
    send(20)
    settle(runtime)
    assert recording_of(runtime, session_id).analyzed_until_idx == 0
    send(10)
    settle(runtime)
    assert recording_of(runtime, session_id).analyzed_until_idx == 2 * ten
    send(40)
    end(client, device, session_id)
    settle(runtime)
    done = recording_of(runtime, session_id)
    assert done.analyzed_until_idx == 3 * ten
    assert done.server_summary is not None
    assert (
        done.server_summary["complete"] is True and done.server_summary["unanalysed_samples"] == ten
    )


def _session_with_pause(client: TestClient, runtime: Runtime, device: Account) -> str:
    session_id = start(client, device)
    stream(client, device, session_id, ecg_counts(paused_rhythm(), 60.0, FS), fs=FS)
    end(client, device, session_id)
    return recording_of(runtime, session_id).id


def _fingerprint(runtime: Runtime, recording_id: str) -> tuple[Any, ...]:
    events, metrics = server_rows(runtime, recording_id)
    with runtime.session_factory() as db:
        row = db.get(Recording, recording_id)
        assert row is not None
        summary = row.server_summary
    return (
        [(e.type, e.subtype, e.payload["start_sample"]) for e in events],
        [(m.values["start_sample"], m.heart_rate_bpm) for m in metrics],
        summary,
    )


def test_a_job_that_dies_mid_step_leaves_nothing_and_its_retry_writes_everything_once(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "jobs", DiscardQueue())  # run the job by hand
    device = register(client)
    reference, crashing = (_session_with_pause(client, runtime, device) for _ in range(2))
    analysis.analyze_recording(runtime, reference)
    original = analysis_repository.save_analysis

    def die_before_commit(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("worker lost its database connection")

    monkeypatch.setattr(analysis_repository, "save_analysis", die_before_commit)
    with pytest.raises(ConnectionError):
        analysis.analyze_recording(runtime, crashing)
    assert server_rows(runtime, crashing) == ([], [])  # the step's events and metrics rolled back
    with runtime.session_factory() as db:
        assert db.get(Recording, crashing).analyzed_until_idx == 0  # type: ignore[union-attr]
    monkeypatch.setattr(analysis_repository, "save_analysis", original)
    analysis.analyze_recording(runtime, crashing)  # the retry
    analysis.analyze_recording(runtime, crashing)  # a redelivery after the job had committed
    assert _fingerprint(runtime, crashing) == _fingerprint(runtime, reference)
    events, metrics = server_rows(runtime, crashing)
    assert [e.subtype for e in events] == ["pause"] and len(metrics) == 6


def test_a_step_that_loses_the_race_for_the_cursor_rolls_back(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "jobs", DiscardQueue())
    device = register(client)
    reference, raced = (_session_with_pause(client, runtime, device) for _ in range(2))
    analysis.analyze_recording(runtime, reference)
    original: Callable[..., Any] = analysis._analyse_windows
    competitor_ran: list[bool] = []

    def slow_step(*args: Any, **kwargs: Any) -> Any:
        if not competitor_ran:  # another worker analyses the same windows meanwhile
            competitor_ran.append(True)
            with unit_of_work(runtime.session_factory) as db:
                analysis.analyze_step(db, runtime, raced)
        return original(*args, **kwargs)

    monkeypatch.setattr(analysis, "_analyse_windows", slow_step)
    with unit_of_work(runtime.session_factory) as db, pytest.raises(analysis.AnalysisRaced):
        analysis.analyze_step(db, runtime, raced)
    analysis.analyze_recording(runtime, raced)
    assert competitor_ran
    assert _fingerprint(runtime, raced) == _fingerprint(runtime, reference)


def test_findings_carry_their_strip_and_are_published_live(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(runtime.live, "publish", lambda rid, msg: published.append((rid, msg)))
    device = register(client)
    recording_id = _session_with_pause(client, runtime, device)
    settle(runtime)
    (pause,), _ = server_rows(runtime, recording_id)
    assert pause.type == "arrhythmia_detected" and pause.severity == "severe"
    assert pause.payload["duration_s"] == pytest.approx(60 / 72 * 5, abs=0.05)
    assert pause.snippet_key is not None
    strip = frames.unpack_blob(runtime.blob_store.get(pause.snippet_key))
    snippet = pause.payload["snippet"]
    assert strip.start_idx is not None
    assert strip.start_idx == snippet["start_sample"] and strip.n_samples == snippet["n_samples"]
    assert strip.start_idx <= pause.payload["start_sample"] < pause.payload["end_sample"]
    assert pause.payload["end_sample"] < strip.start_idx + strip.n_samples
    sent = ecg_counts(paused_rhythm(), 60.0, FS)
    assert np.array_equal(
        strip.values, sent[:, strip.start_idx : strip.start_idx + strip.n_samples]
    )
    messages = [m for rid, m in published if rid == recording_id and m["type"] == "finding"]
    assert [(m["subtype"], m["event_id"]) for m in messages] == [("pause", pause.id)]


@pytest.mark.realdata
@pytest.mark.slow
def test_mitbih_201_streamed_through_the_api(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten minutes of record 201 (AF, then sinus rhythm with ectopy) in 10 s chunks."""
    seconds = 600.0
    counts, fs = mitdb_counts("201", seconds)
    annotated = mitdb_rhythm.load("201")
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(runtime.live, "publish", lambda rid, msg: published.append(msg))
    device, admin = register(client), staff(runtime, "admin")
    rules = {"hr_high_bpm": 90, "atrial_fibrillation": True}
    put = client.put(
        f"/api/v1/patients/{device.patient_id}/alert-rules", json=rules, headers=admin.headers
    )
    assert put.status_code == 200
    session_id = start(client, device)
    stream(client, device, session_id, counts, fs=fs, chunk_s=10.0)
    end(client, device, session_id)
    settle(runtime, timeout_s=300)
    data = client.get(f"/api/v1/sessions/{session_id}/data", headers=device.headers).json()
    summary = data["server_summary"]
    truth = int(np.count_nonzero(annotated.r_idx < counts.shape[1]))
    assert summary["complete"] and abs(summary["total_heartbeats"] - truth) <= 0.02 * truth
    events = [e for e in data["events"] if e["source"] == "server"]
    af = [
        (e["payload"]["start_sample"], e["payload"]["end_sample"])
        for e in events
        if e["subtype"] == "atrial_fibrillation" and e["type"] == "arrhythmia_detected"
    ]
    reference = [
        (a, min(b, counts.shape[1]))
        for a, b in mitdb_rhythm.reference_episodes(annotated, ("(AFIB",))
        if a < counts.shape[1]
    ]
    score = mitdb_rhythm.score(reference, af)
    assert score.sensitivity == 1.0 and score.ppv == 1.0
    assert score.duration_sensitivity is not None and score.duration_sensitivity > 0.9
    rates = [
        m["metrics"]["heart_rate"] for m in data["metrics_timeline"] if m["source"] == "server"
    ]
    excursions = sum(
        1
        for before, now in zip([None, *rates], rates, strict=False)
        if now and now > 90 and not (before and before > 90)
    )
    alerts = [e["subtype"] for e in events if e["type"] == "alert"]
    assert alerts.count("hr_high") == excursions >= 1
    assert alerts.count("atrial_fibrillation") == len(af)
    live = {(m["type"], m["event_id"]) for m in published if m["type"] in ("finding", "alert")}
    assert {("alert" if e["type"] == "alert" else "finding", e["event_id"]) for e in events} <= live


def test_recordings_left_unanalysed_are_resumed_at_start_up(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = runtime.jobs
    monkeypatch.setattr(runtime, "jobs", DiscardQueue())  # the server stopped before its jobs ran
    device = register(client)
    recording_id = _session_with_pause(client, runtime, device)
    monkeypatch.setattr(runtime, "jobs", queue)
    assert analysis.resume_unfinished(runtime) == 1
    settle(runtime)
    with runtime.session_factory() as db:
        row = db.get(Recording, recording_id)
        assert row is not None and row.server_summary is not None
        assert row.server_summary["complete"] is True
    assert analysis.resume_unfinished(runtime) == 0
