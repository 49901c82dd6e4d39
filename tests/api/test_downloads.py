"""Signed download links served by the app for stores that cannot presign."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from fastapi.testclient import TestClient

from clarity.api.downloads import download_url
from clarity.runtime import Runtime


def _link(runtime: Runtime, key: str, filename: str | None = None) -> str:
    request = Request(
        {
            "type": "http",
            "scheme": "http",
            "server": ("testserver", 80),
            "path": "/",
            "headers": [],
            "query_string": b"",
        }
    )
    return download_url(request, runtime, key, filename=filename)


def test_signed_link_downloads_the_blob(client: TestClient, runtime: Runtime) -> None:
    runtime.blob_store.put("reports/ab/abc.pdf", b"%PDF-1.7 demo")
    url = _link(runtime, "reports/ab/abc.pdf", filename="ECG Report.pdf")
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 demo"
    assert response.headers["content-type"] == "application/pdf"
    assert "ECG%20Report.pdf" in response.headers["content-disposition"]


def test_tampered_or_expired_links_are_refused(client: TestClient, runtime: Runtime) -> None:
    runtime.blob_store.put("a/secret.bin", b"x")
    runtime.blob_store.put("a/other.bin", b"y")
    url = _link(runtime, "a/secret.bin")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    other = client.get(f"/api/v1/blobs/a/other.bin?{parts.query}")
    assert other.status_code == 403
    later = int(query["expires"][0]) + 3600
    extended = client.get(f"{parts.path}?expires={later}&sig={query['sig'][0]}")
    assert extended.status_code == 403
    runtime.settings.download_link_seconds = 10
    stale = _link(runtime, "a/secret.bin")
    expired_at = int(parse_qs(urlsplit(stale).query)["expires"][0])
    assert expired_at <= time.time() + 10
    assert client.get("/api/v1/blobs/a/secret.bin?expires=1&sig=x").status_code == 403


def test_missing_blob_with_valid_link_is_404(client: TestClient, runtime: Runtime) -> None:
    assert client.get(_link(runtime, "gone/blob.bin")).status_code == 404
