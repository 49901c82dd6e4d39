"""FHIR export over HTTP: ``GET /api/v1/sessions/{session_id}/fhir``."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from clarity.api.deps import CurrentPrincipal, DbSession, RuntimeDep
from clarity.interop import service
from clarity.interop.fhir import FHIR_MEDIA_TYPE

router = APIRouter(prefix="/api/v1", tags=["interoperability"])

_FHIR_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "a FHIR R4 Bundle (type collection)",
        "content": {FHIR_MEDIA_TYPE: {"schema": {"type": "object"}}},
    }
}


@router.get("/sessions/{session_id}/fhir", response_class=Response, responses=_FHIR_RESPONSE)
def session_fhir(
    session_id: str,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """The session as a FHIR R4 Bundle: patient, device, ECG, measurements, events, report."""
    bundle = service.session_bundle(
        db,
        runtime.blob_store,
        principal,
        session_id,
        base_url=str(request.base_url).rstrip("/"),
        inline_max_samples=runtime.settings.fhir_inline_max_samples,
    )
    return Response(orjson.dumps(bundle), media_type=FHIR_MEDIA_TYPE)
