"""Reports over HTTP: seed 002's multipart upload, metadata, and an expiring download link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from clarity.api.deps import CurrentPrincipal, DbSession, RuntimeDep
from clarity.api.downloads import download_url
from clarity.errors import PayloadTooLarge, Unprocessable
from clarity.reports import service
from clarity.reports.schemas import ReportRead, ReportUploaded

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
MAX_REPORT_BYTES = 20 * 1024 * 1024


@router.post("/upload", response_model=ReportUploaded)
def upload_report(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="the PDF report")],
    metadata: Annotated[
        str | None, Form(description="JSON object: session_id, conclusion, ...")
    ] = None,
) -> ReportUploaded:
    """Upload a PDF report with its JSON metadata (multipart form)."""
    content = file.file.read(MAX_REPORT_BYTES + 1)
    if len(content) > MAX_REPORT_BYTES:
        raise PayloadTooLarge(f"the report is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB")
    if not content:
        raise Unprocessable("the report file is empty")
    meta = service.parse_metadata(metadata)
    report, duplicate = service.upload_report(
        db, runtime.blob_store, principal, content, file.filename, meta
    )
    url = download_url(request, runtime, report.blob_key, filename=report.filename)
    return ReportUploaded(report_id=report.id, url=url, duplicate=duplicate)


@router.get("/{report_id}", response_model=ReportRead)
def get_report(
    report_id: str,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    runtime: RuntimeDep,
) -> ReportRead:
    """A report's metadata with a fresh download link."""
    report = service.get_report(db, principal, report_id)
    url = download_url(request, runtime, report.blob_key, filename=report.filename)
    return ReportRead.model_validate(report).model_copy(update={"url": url})


@router.get("/{report_id}/file", response_class=RedirectResponse, status_code=307)
def report_file(
    report_id: str,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    runtime: RuntimeDep,
) -> RedirectResponse:
    """Redirect to an expiring download link of the PDF."""
    report = service.get_report(db, principal, report_id)
    return RedirectResponse(
        download_url(request, runtime, report.blob_key, filename=report.filename), 307
    )
