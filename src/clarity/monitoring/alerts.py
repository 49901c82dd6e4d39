"""Per-patient alert rules: who may read and set them, and which analysis results break them.

Alerts are opt-in per patient: without rules, findings are still recorded, but nothing alerts.
Heart-rate alerts fire when a 10 s window's rate crosses the limit and re-arm once a window is
back inside it (one alert per excursion, not one per window); a pause, an AF episode and a
ventricular run alert once each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clarity.auth import audit
from clarity.auth.principal import Principal
from clarity.db.models import AlertRule, RecordingEvent
from clarity.ecg.signal.episodes import EpisodeUpdate
from clarity.errors import Forbidden
from clarity.kit.ids import new_id
from clarity.monitoring import analysis_repository
from clarity.monitoring.alert_schemas import AlertRulesRead, AlertRulesUpdate
from clarity.monitoring.analysis_state import AnalysisState
from clarity.monitoring.findings import Context, episode_key, store_strip
from clarity.patients import service as patients

ALERT_TYPE = "alert"
_FIELDS = ("hr_low_bpm", "hr_high_bpm", "pause_s", "atrial_fibrillation", "ventricular_run_beats")


def get_rules(db: Session, principal: Principal, patient_id: str) -> AlertRulesRead:
    """The patient's rules: for staff caring for them, admins, and the patient themself."""
    patient = patients.get_patient(db, principal, patient_id, audit_read=False)
    audit.record(db, principal, "alert_rules.read", "patient", patient.id)
    return _read(patient.id, analysis_repository.get_alert_rule(db, patient.id))


def put_rules(
    db: Session, principal: Principal, patient_id: str, data: AlertRulesUpdate
) -> AlertRulesRead:
    """Replace the patient's rules (clinicians caring for them, and admins)."""
    patient = patients.get_patient(db, principal, patient_id, audit_read=False)
    if not (principal.is_clinician or principal.is_admin):
        raise Forbidden("only clinicians and administrators set alert rules")
    rule = analysis_repository.get_alert_rule(db, patient.id)
    if rule is None:
        rule = AlertRule(patient_id=patient.id)
        analysis_repository.add_alert_rule(db, rule)
    for name, value in data.model_dump().items():
        setattr(rule, name, value)
    rule.updated_by_id = principal.user_id
    db.flush()
    audit.record(
        db, principal, "alert_rules.update", "patient", patient.id, detail=data.model_dump()
    )
    return _read(patient.id, rule)


def _read(patient_id: str, rule: AlertRule | None) -> AlertRulesRead:
    if rule is None:
        return AlertRulesRead(patient_id=patient_id, configured=False)
    values = {name: getattr(rule, name) for name in (*_FIELDS, "note")}
    return AlertRulesRead(
        patient_id=patient_id,
        configured=True,
        updated_at=rule.updated_at,
        updated_by_id=rule.updated_by_id,
        **values,
    )


def rule_for(db: Session, patient_id: str | None) -> AlertRule | None:
    """The rules analysis applies to a recording of ``patient_id`` (None: no alerts)."""
    return analysis_repository.get_alert_rule(db, patient_id) if patient_id else None


@dataclass(frozen=True)
class WindowRate:
    """What a heart-rate rule looks at: one analysis window's rate and its longest RR."""

    start_idx: int
    heart_rate_bpm: float | None
    longest_rr: tuple[int, int, float] | None  # (previous R, R, interval s)


@dataclass(frozen=True)
class _Draft:
    subtype: str
    severity: str
    at_idx: int
    end_idx: int
    detail: dict[str, Any]


def raise_alerts(
    ctx: Context,
    state: AnalysisState,
    rule: AlertRule | None,
    windows: list[WindowRate],
    updates: list[EpisodeUpdate],
    findings: list[RecordingEvent],
) -> list[RecordingEvent]:
    """Write an alert event for every rule the new results break; the events written."""
    if rule is None:
        return []
    drafts = [d for w in windows for d in _rate_alerts(state, rule, w)]
    drafts += _episode_alerts(state, rule, updates, findings)
    drafts.sort(key=lambda d: d.at_idx)
    events = [_alert_event(ctx, d) for d in drafts]
    analysis_repository.add_all(ctx.db, list(events))
    return events


def _rate_alerts(state: AnalysisState, rule: AlertRule, window: WindowRate) -> list[_Draft]:
    drafts: list[_Draft] = []
    rate = window.heart_rate_bpm
    for subtype, limit, sign in (
        ("hr_high", rule.hr_high_bpm, 1.0),
        ("hr_low", rule.hr_low_bpm, -1.0),
    ):
        if limit is None or rate is None:
            continue
        if not sign * (rate - limit) > 0:
            if subtype in state.alerts_active:
                state.alerts_active.remove(subtype)
            continue
        if subtype not in state.alerts_active:
            state.alerts_active.append(subtype)
            detail = {"heart_rate_bpm": rate, "limit_bpm": limit}
            drafts.append(_Draft(subtype, "high", window.start_idx, window.start_idx, detail))
    longest = window.longest_rr
    if rule.pause_s is not None and longest is not None and longest[2] >= rule.pause_s:
        detail = {"pause_s": round(longest[2], 3), "limit_s": rule.pause_s}
        drafts.append(_Draft("pause", "high", longest[0], longest[1], detail))
    return drafts


def _episode_alerts(
    state: AnalysisState,
    rule: AlertRule,
    updates: list[EpisodeUpdate],
    findings: list[RecordingEvent],
) -> list[_Draft]:
    drafts: list[_Draft] = []
    for update, finding in zip(updates, findings, strict=True):
        episode, key = update.episode, episode_key(update.episode)
        if update.phase == "end" and key in state.alerted:
            state.alerted.remove(key)
            continue
        wanted = (episode.kind == "atrial_fibrillation" and rule.atrial_fibrillation) or (
            episode.kind == "ventricular_run"
            and rule.ventricular_run_beats is not None
            and episode.n_beats >= rule.ventricular_run_beats
        )
        if not wanted or key in state.alerted:
            continue
        if update.phase == "onset":
            state.alerted.append(key)
        detail = {
            "finding_event_id": finding.id,
            "n_beats": episode.n_beats,
            "heart_rate_bpm": episode.heart_rate_bpm,
            "limit_beats": rule.ventricular_run_beats,
        }
        severity = "high" if episode.kind == "ventricular_run" else "medium"
        drafts.append(_Draft(episode.kind, severity, episode.start_idx, episode.end_idx, detail))
    return drafts


def _alert_event(ctx: Context, draft: _Draft) -> RecordingEvent:
    strip = store_strip(ctx, draft.at_idx, draft.end_idx)
    at: datetime = ctx.clock.at(draft.at_idx)
    return RecordingEvent(
        id=new_id("event"),
        recording_id=ctx.recording.id,
        source="server",
        type=ALERT_TYPE,
        subtype=draft.subtype,
        severity=draft.severity,
        timestamp=at,
        payload={
            "start_sample": draft.at_idx,
            "end_sample": draft.end_idx,
            **{k: v for k, v in draft.detail.items() if v is not None},
            "snippet": strip[1] if strip else None,
        },
        snippet_key=strip[0] if strip else None,
    )
