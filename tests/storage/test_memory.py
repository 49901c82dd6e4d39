"""The in-memory test double's extras: inspection helpers and a switchable outage."""

from __future__ import annotations

import pytest

from clarity.errors import ServiceUnavailable
from clarity.storage import BlobNotFound, MemoryBlobStore


def test_keeps_content_type_and_lists_keys() -> None:
    store = MemoryBlobStore()
    store.put("b/report.pdf", b"%PDF", content_type="application/pdf")
    store.put("a/chunk", b"\x00")
    assert store.content_type("b/report.pdf") == "application/pdf"
    assert store.content_type("a/chunk") == "application/octet-stream"
    assert store.keys() == ["a/chunk", "b/report.pdf"]
    with pytest.raises(BlobNotFound):
        store.content_type("missing")


def test_stored_bytes_do_not_alias_the_callers_buffer() -> None:
    store = MemoryBlobStore()
    buffer = bytearray(b"abc")
    store.put("k", buffer)  # type: ignore[arg-type]  # callers may hand over a bytearray
    buffer[0] = ord("X")
    assert store.get("k") == b"abc"


def test_outage_switch_fails_the_health_check() -> None:
    store = MemoryBlobStore()
    store.check()
    store.unavailable_reason = "simulated outage"
    with pytest.raises(ServiceUnavailable, match="simulated outage"):
        store.check()
