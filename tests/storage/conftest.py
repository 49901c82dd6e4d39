"""Fixtures: one contract suite over every blob store, S3 through a real HTTP server (moto)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clarity.storage import BlobStore, LocalBlobStore, MemoryBlobStore, S3BlobStore

DUMMY_ACCESS_KEY_ID = "AKIACLARITYTESTING00"
DUMMY_SECRET = "clarity-testing-secret"

MakeS3 = Callable[..., S3BlobStore]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port: boto3 speaks real HTTP to it."""
    server_module = pytest.importorskip("moto.server", reason="needs moto[server]")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def make_s3(s3_endpoint: str) -> Iterator[MakeS3]:
    """Build S3 stores against the moto server (a fresh bucket unless told otherwise)."""
    stores: list[S3BlobStore] = []

    def make(
        bucket: str | None = None, *, create_bucket: bool = True, region: str = "us-east-1"
    ) -> S3BlobStore:
        store = S3BlobStore(
            bucket or f"clarity-{uuid.uuid4().hex[:16]}",
            endpoint_url=s3_endpoint,
            region=region,
            access_key_id=DUMMY_ACCESS_KEY_ID,
            secret_access_key=DUMMY_SECRET,
            create_bucket=create_bucket,
            max_attempts=2,
        )
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def enable_versioning(s3_endpoint: str) -> Iterator[Callable[[str], None]]:
    """Turn on versioning of a moto bucket, with a client of the test's own."""
    boto3 = pytest.importorskip("boto3")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=DUMMY_ACCESS_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET,
    )

    def enable(bucket: str) -> None:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    yield enable
    client.close()


@pytest.fixture(params=["memory", "local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each blob store in turn, empty."""
    if request.param == "memory":
        return MemoryBlobStore()
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    make: MakeS3 = request.getfixturevalue("make_s3")
    return make()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
