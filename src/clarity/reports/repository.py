"""Named queries for reports."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clarity.db.models import Report


def add_report(db: Session, report: Report) -> None:
    db.add(report)
    db.flush()


def get_report(db: Session, report_id: str) -> Report | None:
    return db.get(Report, report_id)


def find_by_content(db: Session, owner_id: str, sha256: str) -> Report | None:
    stmt = select(Report).where(Report.owner_id == owner_id, Report.sha256 == sha256)
    return db.scalars(stmt).first()
