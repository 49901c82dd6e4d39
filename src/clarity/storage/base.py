"""The blob store contract shared by the local, S3 and in-memory stores.

Blobs are waveform chunks, images, PDFs and heat maps. A blob is written whole or not at all, so a
row that points to a key (written after the blob, see DESIGN "Blobs") never points to half a blob.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable
from urllib.parse import quote

from clarity.errors import BadRequest, NotFound

MAX_KEY_LENGTH = 512


class BlobNotFound(NotFound):
    """No blob is stored under the key (HTTP 404)."""

    default_detail = "blob not found"


class InvalidBlobKey(BadRequest, ValueError):
    """A key that could escape the store or that the stores cannot all hold the same way (400)."""

    default_detail = "invalid blob key"


@runtime_checkable
class BlobStore(Protocol):
    """Where blobs live. Every method validates its key with :func:`validate_key`.

    Failures of the backing store (unreachable, unwritable, misconfigured) raise
    ``clarity.errors.ServiceUnavailable`` with the reason.
    """

    name: str
    """Which implementation this is: ``"local"``, ``"s3"`` or ``"memory"``."""

    def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        """Store ``data`` under ``key`` atomically; readers see the old blob or the new one."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; raises :class:`BlobNotFound` when there are none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob under ``key``; deleting a missing key is not an error."""
        ...

    def presigned_url(self, key: str, *, expires_s: int, filename: str | None = None) -> str | None:
        """A time-limited GET URL served by the store itself, or ``None`` if it cannot make one.

        With ``None`` the app serves the blob behind its own signed link
        (:mod:`clarity.storage.signing`).
        """
        ...

    def check(self) -> None:
        """Health probe: return if the store is usable, raise ``ServiceUnavailable`` if not."""
        ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe blob key, else raise :class:`InvalidBlobKey`.

    A key is 1 to 512 printable characters of ``/``-separated segments. No segment may be empty
    or start with ``.`` (which rules out ``.``, ``..``, hidden files and the local store's
    temporary files); backslashes and a leading ``/`` are refused, so a key never names a path
    outside the store on any platform.
    """
    if not isinstance(key, str) or not key:
        raise InvalidBlobKey("blob key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKey(f"blob key longer than {MAX_KEY_LENGTH} characters")
    if not key.isprintable():
        raise InvalidBlobKey("blob key contains control or non-printable characters")
    if "\\" in key:
        raise InvalidBlobKey("blob key must not contain backslashes")
    if key.startswith("/"):
        raise InvalidBlobKey("blob key must be relative (no leading '/')")
    for segment in key.split("/"):
        if not segment.strip():
            raise InvalidBlobKey("blob key has an empty or blank path segment")
        if segment.startswith("."):
            raise InvalidBlobKey("blob key segments must not start with '.' (no '..' traversal)")
    return key


def content_disposition(filename: str) -> str:
    """``Content-Disposition`` value that makes browsers save the blob as ``filename``.

    RFC 6266: an ASCII ``filename`` fallback plus the exact name as RFC 5987 ``filename*``.
    Directory parts and control characters are dropped, so the value is safe in a header.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "download"
    fallback = "".join(ch if ch.isascii() and ch not in '"%' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
