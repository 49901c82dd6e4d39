"""Named queries of the server's recording analysis: the cursor's compare-and-set, its events."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from clarity.db.models import AlertRule, Recording, RecordingEvent


def claim_cursor(db: Session, recording_id: str, *, expected_idx: int, new_idx: int) -> bool:
    """Move the analysis cursor from ``expected_idx`` to ``new_idx``; False (nothing written)
    when another job moved it first.

    The condition is checked by the UPDATE itself when it takes the row's write lock, and the
    lock is held until this unit of work ends: of two jobs that analysed the same samples exactly
    one gets to write its results, on SQLite and on PostgreSQL.
    """
    stmt = (
        update(Recording)
        .where(Recording.id == recording_id, Recording.analyzed_until_idx == expected_idx)
        .values(analyzed_until_idx=new_idx)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], db.execute(stmt))
    return result.rowcount == 1


def save_analysis(
    db: Session, recording_id: str, *, state: dict[str, Any], summary: dict[str, Any]
) -> None:
    """Store the analysis state and summary (after ``claim_cursor`` succeeded in this unit of work)."""
    stmt = (
        update(Recording)
        .where(Recording.id == recording_id)
        .values(analysis_state=state, server_summary=summary)
        .execution_options(synchronize_session=False)
    )
    db.execute(stmt)


def unfinished_recording_ids(db: Session, *, limit: int) -> list[str]:
    """Recordings with samples beyond the analysis cursor, most recently started first."""
    stmt = (
        select(Recording.id)
        .where(Recording.fs.is_not(None), Recording.analyzed_until_idx < Recording.n_samples)
        .order_by(Recording.started_at.desc())
        .limit(limit)
    )
    return list(db.scalars(stmt))


def get_event(db: Session, event_id: str) -> RecordingEvent | None:
    return db.get(RecordingEvent, event_id)


def add_all(db: Session, rows: list[Any]) -> None:
    db.add_all(rows)
    db.flush()


def get_alert_rule(db: Session, patient_id: str) -> AlertRule | None:
    return db.get(AlertRule, patient_id)


def add_alert_rule(db: Session, rule: AlertRule) -> None:
    db.add(rule)
    db.flush()
