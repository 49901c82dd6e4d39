"""HMAC-signed, expiring download links for stores that cannot presign (local, memory).

The app answers ``GET /api/v1/blobs/{key}?expires=..&sig=..[&filename=..]`` after
:func:`verify_blob_link`; the signature covers the key, the expiry and the download file name, so
none of them can be changed without invalidating the link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from clarity.errors import Forbidden
from clarity.storage.base import validate_key

_VERSION = "clarity-blob-link-v1"
MIN_SECRET_BYTES = 16


def blob_link_signature(secret: bytes, key: str, expires_at: int, filename: str | None) -> str:
    """URL-safe base64 HMAC-SHA256 (no padding, 43 characters) over key, expiry and filename.

    An empty ``filename`` counts as none (a blank query parameter usually parses as absent).
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"blob link secret must be at least {MIN_SECRET_BYTES} bytes")
    validate_key(key)
    # A JSON array is an unambiguous encoding: no field can bleed into the next.
    message = json.dumps([_VERSION, key, int(expires_at), filename or None], ensure_ascii=True)
    digest = hmac.new(secret, message.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign_blob_link(secret: bytes, key: str, expires_at: int, filename: str | None = None) -> str:
    """Query string ``expires=<unix s>[&filename=..]&sig=..`` granting GET of ``key``.

    ``expires_at`` is a Unix time in seconds (UTC). The caller puts the key in the path,
    percent-encoded, and appends ``"?" + sign_blob_link(...)``.
    """
    params: dict[str, str | int] = {"expires": int(expires_at)}
    if filename:
        params["filename"] = filename
    params["sig"] = blob_link_signature(secret, key, expires_at, filename)
    return urlencode(params)


def verify_blob_link(
    secret: bytes,
    key: str,
    *,
    expires_at: int,
    sig: str,
    filename: str | None = None,
    now_s: float | None = None,
) -> None:
    """Return if the link is genuine and unexpired, else raise ``Forbidden`` (HTTP 403).

    The signature is compared in constant time before the expiry is looked at, so a changed
    ``expires`` reads as a forged link rather than an expired one.
    """
    expected = blob_link_signature(secret, key, expires_at, filename)
    if not hmac.compare_digest(expected.encode("ascii"), sig.encode("utf-8", "replace")):
        raise Forbidden("invalid download link signature")
    now = time.time() if now_s is None else now_s
    if now >= expires_at:
        raise Forbidden("download link expired")
