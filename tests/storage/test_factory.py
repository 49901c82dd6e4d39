"""make_blob_store: plain arguments in, the right store out."""

from __future__ import annotations

from pathlib import Path

import pytest

from clarity.storage import LocalBlobStore, MemoryBlobStore, S3BlobStore, make_blob_store

from .conftest import DUMMY_ACCESS_KEY_ID, DUMMY_SECRET


def test_memory() -> None:
    assert isinstance(make_blob_store("memory"), MemoryBlobStore)


def test_local(tmp_path: Path) -> None:
    store = make_blob_store("local", root=tmp_path, fsync=True)
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path
    assert store.fsync


def test_s3(s3_endpoint: str) -> None:
    store = make_blob_store(
        "s3",
        bucket="clarity-factory",
        endpoint_url=s3_endpoint,
        region="eu-central-1",
        access_key_id=DUMMY_ACCESS_KEY_ID,
        secret_access_key=DUMMY_SECRET,
        create_bucket=True,
    )
    assert isinstance(store, S3BlobStore)
    store.put("k", b"v")
    assert store.get("k") == b"v"
    store.close()


def test_missing_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="root"):
        make_blob_store("local")
    with pytest.raises(ValueError, match="bucket"):
        make_blob_store("s3")
    with pytest.raises(ValueError, match="kind"):
        make_blob_store("ftp")  # type: ignore[arg-type]  # the point of the test
