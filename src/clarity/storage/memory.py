"""In-memory blob store: the test double for API and service tests."""

from __future__ import annotations

import threading

from clarity.errors import ServiceUnavailable
from clarity.storage.base import BlobNotFound, validate_key


class MemoryBlobStore:
    """Thread-safe dict of blobs. Data is lost with the process.

    Set ``unavailable_reason`` to make :meth:`check` fail, to test health reporting.
    """

    name: str = "memory"

    def __init__(self) -> None:
        self._blobs: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self.unavailable_reason: str | None = None

    def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        """Store a copy of ``data`` under ``key``."""
        validate_key(key)
        blob = bytes(data)
        with self._lock:
            self._blobs[key] = (blob, content_type)

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises :class:`BlobNotFound` when missing."""
        validate_key(key)
        with self._lock:
            found = self._blobs.get(key)
        if found is None:
            raise BlobNotFound(f"blob not found: {key}")
        return found[0]

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob."""
        validate_key(key)
        with self._lock:
            return key in self._blobs

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        validate_key(key)
        with self._lock:
            self._blobs.pop(key, None)

    def presigned_url(self, key: str, *, expires_s: int, filename: str | None = None) -> str | None:
        """Always ``None``: the app serves memory blobs behind its own signed link."""
        validate_key(key)
        return None

    def check(self) -> None:
        """Raise ``ServiceUnavailable`` only when a test set ``unavailable_reason``."""
        if self.unavailable_reason is not None:
            raise ServiceUnavailable(f"memory blob store: {self.unavailable_reason}")

    def content_type(self, key: str) -> str:
        """The content type ``key`` was stored with (tests assert on it)."""
        validate_key(key)
        with self._lock:
            found = self._blobs.get(key)
        if found is None:
            raise BlobNotFound(f"blob not found: {key}")
        return found[1]

    def keys(self) -> list[str]:
        """All stored keys, sorted."""
        with self._lock:
            return sorted(self._blobs)
