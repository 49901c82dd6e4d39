"""What only the S3 store does, against moto over real HTTP: presigned URLs, buckets, outages."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from clarity.errors import ServiceUnavailable
from clarity.storage import BlobNotFound, S3BlobStore, content_disposition
from clarity.storage.s3 import MAX_PRESIGN_EXPIRY_S

from .conftest import DUMMY_ACCESS_KEY_ID, DUMMY_SECRET, MakeS3

pytest.importorskip("boto3", reason="needs the [s3] extra")


def _offline_store(endpoint: str, *, create_bucket: bool = False) -> S3BlobStore:
    return S3BlobStore(
        "clarity-offline",
        endpoint_url=endpoint,
        access_key_id=DUMMY_ACCESS_KEY_ID,
        secret_access_key=DUMMY_SECRET,
        create_bucket=create_bucket,
        connect_timeout_s=0.5,
        read_timeout_s=0.5,
        max_attempts=1,
    )


def test_presigned_url_downloads_the_bytes_over_http(make_s3: MakeS3) -> None:
    store = make_s3()
    store.put("images/scan.png", b"\x89PNG-bytes", content_type="image/png")
    url = store.presigned_url("images/scan.png", expires_s=60)
    assert url is not None
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"\x89PNG-bytes"
    assert response.headers["content-type"] == "image/png"
    assert "content-disposition" not in response.headers


def test_presigned_url_with_filename_sets_content_disposition(make_s3: MakeS3) -> None:
    store = make_s3()
    store.put("reports/r.pdf", b"%PDF-1.7", content_type="application/pdf")
    url = store.presigned_url("reports/r.pdf", expires_s=60, filename="EKG Müller.pdf")
    assert url is not None
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7"
    assert response.headers["content-disposition"] == content_disposition("EKG Müller.pdf")


def test_presigned_url_is_signed_to_expire(make_s3: MakeS3) -> None:
    # moto serves presigned URLs without checking their expiry, so the test reads the signed
    # SigV4 query: the lifetime and the signing time real S3 enforces.
    url = make_s3().presigned_url("k", expires_s=90)
    assert url is not None
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "90"
    assert query["X-Amz-Credential"].startswith(f"{DUMMY_ACCESS_KEY_ID}/")
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - signed_at).total_seconds()) < 120
    assert len(query["X-Amz-Signature"]) == 64


@pytest.mark.parametrize("expires_s", [0, -5, MAX_PRESIGN_EXPIRY_S + 1])
def test_presigned_url_lifetime_is_bounded(make_s3: MakeS3, expires_s: int) -> None:
    with pytest.raises(ValueError, match="expires_s"):
        make_s3().presigned_url("k", expires_s=expires_s)


def test_presigned_url_of_missing_blob_answers_404(make_s3: MakeS3) -> None:
    url = make_s3().presigned_url("never/written", expires_s=60)
    assert url is not None
    assert httpx.get(url).status_code == 404


def test_bucket_creation_is_idempotent(make_s3: MakeS3) -> None:
    first = make_s3("clarity-shared-bucket")
    first.put("k", b"v")
    second = make_s3("clarity-shared-bucket")
    assert second.get("k") == b"v"


def test_bucket_outside_us_east_1(make_s3: MakeS3) -> None:
    store = make_s3(region="eu-west-1")
    store.put("k", b"v")
    assert store.get("k") == b"v"
    store.check()


def test_missing_bucket_is_unavailable_not_missing_blob(make_s3: MakeS3) -> None:
    store = make_s3("clarity-no-such-bucket", create_bucket=False)
    with pytest.raises(ServiceUnavailable, match="does not exist") as caught:
        store.check()
    assert caught.value.status_code == 503
    with pytest.raises(ServiceUnavailable, match="does not exist"):
        store.get("k")
    with pytest.raises(ServiceUnavailable, match="does not exist"):
        store.put("k", b"v")


def test_unreachable_endpoint_is_unavailable(closed_port: int) -> None:
    store = _offline_store(f"http://127.0.0.1:{closed_port}")
    operations: list[Callable[[], object]] = [
        store.check,
        lambda: store.get("k"),
        lambda: store.put("k", b"v"),
        lambda: store.exists("k"),
        lambda: store.delete("k"),
    ]
    for operation in operations:
        with pytest.raises(ServiceUnavailable, match="unavailable: Could not connect"):
            operation()
    with pytest.raises(ServiceUnavailable, match="unavailable: Could not connect"):
        _offline_store(f"http://127.0.0.1:{closed_port}", create_bucket=True)
    store.close()


class _FailingS3(BaseHTTPRequestHandler):
    """Answers every request with the S3 error in ``server.reply`` (status, code)."""

    def _answer(self) -> None:
        status, code = self.server.reply  # type: ignore[attr-defined]  # set by the fixture
        body = f"<Error><Code>{code}</Code><Message>stub</Message></Error>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def failing_s3() -> Iterator[Callable[[int, str], str]]:
    """An HTTP server that fails every S3 call with a chosen status and error code."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingS3)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    def fail_with(status: int, code: str) -> str:
        server.reply = (status, code)  # type: ignore[attr-defined]  # read by the handler
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield fail_with
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("status", "code"), [(500, "InternalError"), (503, "SlowDown"), (403, "AccessDenied")]
)
def test_server_errors_are_unavailable_not_not_found(
    failing_s3: Callable[[int, str], str], status: int, code: str
) -> None:
    store = _offline_store(failing_s3(status, code))
    for operation in (store.check, lambda: store.get("k"), lambda: store.put("k", b"v")):
        with pytest.raises(ServiceUnavailable, match=f"HTTP {status}"):
            operation()
    with pytest.raises(ServiceUnavailable):
        store.exists("k")
    store.close()


def test_no_such_key_from_server_is_blob_not_found(
    failing_s3: Callable[[int, str], str],
) -> None:
    store = _offline_store(failing_s3(404, "NoSuchKey"))
    with pytest.raises(BlobNotFound):
        store.get("k")
    assert not store.exists("k")
    store.close()


def test_module_imports_without_boto3_and_says_what_to_install() -> None:
    script = (
        "import sys\n"
        "sys.modules['boto3'] = None\n"
        "sys.modules['botocore'] = None\n"
        "import clarity.storage as storage\n"
        "assert storage.make_blob_store('memory').name == 'memory'\n"
        "try:\n"
        "    storage.S3BlobStore('b')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'clarity[s3]'" in result.stdout
