"""ECG analysis over HTTP: a file upload, a JSON lead dict, or a binary frame in; analysis out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from clarity.api.deps import CurrentPrincipal
from clarity.ecg import service
from clarity.ecg.formats import SUPPORTED_FORMATS, Format
from clarity.ecg.schemas import AnalysisRead, Sex
from clarity.errors import Unprocessable
from clarity.monitoring import frames

router = APIRouter(prefix="/api/v1/ecg", tags=["ecg analysis"])

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "an ECG file (WFDB zip, EDF, DICOM, CSV, JSON), as multipart `file` or as the body",
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
            "application/json": {"schema": {"type": "object", "example": {
                "sampling_rate": 500, "leads": {"I": [0.01, 0.02], "II": [0.03, 0.05]}}}},
            frames.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}  # fmt: skip


@router.post("/analyze", response_model=AnalysisRead, openapi_extra=_BODY)
async def analyze_ecg(
    request: Request,
    _principal: CurrentPrincipal,
    sex: Sex | None = None,
    age: Annotated[float | None, Query(ge=0, le=130)] = None,
    format: Annotated[
        Format | None, Query(description=f"one of {', '.join(SUPPORTED_FORMATS)}")
    ] = None,
    fs: Annotated[
        float | None, Query(gt=0, description="Hz, for files that do not state it")
    ] = None,
) -> AnalysisRead:
    """Measure and interpret an ECG: quality, HR, PR, QRS, QT/QTc, axes, ST, HRV, statements."""
    data, filename, kind = await _read_body(request)
    waveform = await run_in_threadpool(service.waveform_from_bytes, data, kind=kind, filename=filename,
                                       fmt=format, fs=fs)  # fmt: skip
    return await run_in_threadpool(service.analyze_waveform, waveform, sex=sex, age=age)


async def _read_body(request: Request) -> tuple[bytes, str | None, service.BodyKind]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        async with request.form() as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise Unprocessable("send the ECG as a multipart field named 'file'")
            return await upload.read(), upload.filename, "file"
    body = await request.body()
    if not body:
        raise Unprocessable(
            "the request has no ECG: send a file, a JSON lead dict or a binary frame"
        )
    if content_type == frames.MEDIA_TYPE:
        return body, None, "frame"
    return body, "upload.json" if content_type == "application/json" else None, "file"
