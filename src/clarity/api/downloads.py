"""Expiring download links: S3 presigned URLs, or HMAC-signed links this app serves itself."""

from __future__ import annotations

import mimetypes
import time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response

from clarity.api.deps import RuntimeDep
from clarity.runtime import Runtime
from clarity.storage import content_disposition, sign_blob_link, verify_blob_link

router = APIRouter(prefix="/api/v1/blobs", tags=["downloads"])


def download_url(
    request: Request, runtime: Runtime, key: str, *, filename: str | None = None
) -> str:
    """A link to ``key`` that works without credentials until it expires."""
    expires_s = runtime.settings.download_link_seconds
    presigned = runtime.blob_store.presigned_url(key, expires_s=expires_s, filename=filename)
    if presigned:
        return presigned
    secret = runtime.settings.secret_key.get_secret_value().encode()
    query = sign_blob_link(secret, key, int(time.time()) + expires_s, filename)
    return f"{str(request.base_url).rstrip('/')}{router.prefix}/{quote(key)}?{query}"


@router.get("/{key:path}")
def download(
    key: str,
    runtime: RuntimeDep,
    expires: Annotated[int, Query()],
    sig: Annotated[str, Query(max_length=128)],
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    """Serve a blob through a signed, expiring link (403 when forged or expired)."""
    secret = runtime.settings.secret_key.get_secret_value().encode()
    verify_blob_link(secret, key, expires_at=expires, sig=sig, filename=filename)
    data = runtime.blob_store.get(key)
    media_type = mimetypes.guess_type(filename or key)[0] or "application/octet-stream"
    headers = {"Cache-Control": "private, max-age=60"}
    if filename:
        headers["Content-Disposition"] = content_disposition(filename)
    return Response(data, media_type=media_type, headers=headers)
