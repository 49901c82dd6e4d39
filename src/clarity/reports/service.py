"""Report use cases: accept a device's PDF (blob first, then the row), find it, check access."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.orm import Session

from clarity.auth import audit
from clarity.auth.principal import Principal
from clarity.db.models import Report
from clarity.errors import NotFound, Unprocessable, UnsupportedMediaType
from clarity.monitoring import access
from clarity.patients import service as patients
from clarity.reports import repository
from clarity.reports.schemas import ReportMetadata
from clarity.storage import BlobStore, content_key, sha256_hex

PDF_MAGIC = b"%PDF-"
PDF_TRAILER = b"%%EOF"


def parse_metadata(raw: str | None) -> ReportMetadata:
    """The ``metadata`` form field (a JSON object); 422 naming the problem otherwise."""
    if not raw:
        return ReportMetadata()
    try:
        value: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Unprocessable(f"metadata is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise Unprocessable("metadata must be a JSON object")
    merged = (
        {**value.get("report", {}), **value} if isinstance(value.get("report"), dict) else value
    )
    try:
        return ReportMetadata.model_validate(merged)
    except ValidationError as exc:
        raise Unprocessable(f"metadata: {exc.errors()[0]['msg']}") from None


def check_pdf(content: bytes) -> None:
    """A PDF (magic number and end-of-file marker), or 415/422 saying why not."""
    if not content.startswith(PDF_MAGIC):
        raise UnsupportedMediaType("the report file must be a PDF (it does not start with %PDF-)")
    if PDF_TRAILER not in content[-2048:]:
        raise Unprocessable("the PDF is truncated (no %%EOF marker at its end); upload it again")


def upload_report(
    db: Session,
    store: BlobStore,
    principal: Principal,
    content: bytes,
    filename: str | None,
    metadata: ReportMetadata,
) -> tuple[Report, bool]:
    """Store a device's PDF report; the same file uploaded again by its owner is a retry."""
    check_pdf(content)
    digest = sha256_hex(content)
    existing = repository.find_by_content(db, principal.user_id, digest)
    if existing is not None:
        return existing, True
    recording = (
        access.writable_recording(db, principal, metadata.session_id)
        if metadata.session_id
        else None
    )
    patient_id = _patient_id(db, principal, metadata, recording.patient_id if recording else None)
    key = content_key("reports", content, suffix=".pdf")
    store.put(key, content, content_type="application/pdf")
    report = Report(
        owner_id=principal.user_id,
        patient_id=patient_id,
        recording_id=recording.id if recording else None,
        source="device",
        filename=_safe_filename(metadata.filename or filename),
        size_bytes=len(content),
        sha256=digest,
        blob_key=key,
        conclusion=metadata.conclusion,
        metadata_json=metadata.model_dump(mode="json", exclude_none=True),
    )
    repository.add_report(db, report)
    audit.record(
        db, principal, "report.create", "report", report.id, detail={"patient_id": patient_id}
    )
    return report, False


def _patient_id(
    db: Session, principal: Principal, metadata: ReportMetadata, from_recording: str | None
) -> str | None:
    if from_recording:
        return from_recording
    if metadata.patient_id:
        if principal.role == "patient" or not patients.can_see_patient(
            db, principal, metadata.patient_id
        ):
            raise NotFound("patient not found")
        return metadata.patient_id
    own = patients.patient_of_user(db, principal.user_id)
    return own.id if own else None


def _safe_filename(name: str | None) -> str:
    base = (name or "report.pdf").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:255] or "report.pdf"


def get_report(db: Session, principal: Principal, report_id: str) -> Report:
    """A report its owner, an admin or a clinician caring for its patient may see; else 404."""
    report = repository.get_report(db, report_id)
    if report is None or not _can_read(db, principal, report):
        raise NotFound("report not found")
    audit.record(db, principal, "report.read", "report", report.id)
    return report


def _can_read(db: Session, principal: Principal, report: Report) -> bool:
    if report.owner_id == principal.user_id or principal.is_admin:
        return True
    return bool(
        principal.is_clinician
        and report.patient_id
        and patients.can_see_patient(db, principal, report.patient_id)
    )
