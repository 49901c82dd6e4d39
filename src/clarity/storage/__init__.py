"""Blob storage: waveform chunks, images, PDFs and heat maps behind one :class:`BlobStore`.

The app builds its store once with :func:`make_blob_store` from settings; domain services receive
it and never know which implementation runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from clarity.storage.base import (
    MAX_KEY_LENGTH,
    BlobNotFound,
    BlobStore,
    InvalidBlobKey,
    content_disposition,
    validate_key,
)
from clarity.storage.keys import content_key, digest_key, sha256_hex
from clarity.storage.local import LocalBlobStore
from clarity.storage.memory import MemoryBlobStore
from clarity.storage.s3 import S3BlobStore
from clarity.storage.signing import blob_link_signature, sign_blob_link, verify_blob_link

BlobStoreKind = Literal["local", "s3", "memory"]

__all__ = [
    "MAX_KEY_LENGTH",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreKind",
    "InvalidBlobKey",
    "LocalBlobStore",
    "MemoryBlobStore",
    "S3BlobStore",
    "blob_link_signature",
    "content_disposition",
    "content_key",
    "digest_key",
    "make_blob_store",
    "sha256_hex",
    "sign_blob_link",
    "validate_key",
    "verify_blob_link",
]


def make_blob_store(
    kind: BlobStoreKind,
    *,
    root: Path | None = None,
    fsync: bool = False,
    bucket: str | None = None,
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    create_bucket: bool = False,
) -> BlobStore:
    """Build the blob store ``kind`` from plain settings values.

    ``root`` (and ``fsync``) apply to ``"local"``; ``bucket`` and the S3 arguments to ``"s3"``.
    Raises ``ValueError`` when the chosen kind lacks what it needs.
    """
    if kind == "memory":
        return MemoryBlobStore()
    if kind == "local":
        if root is None:
            raise ValueError("the local blob store needs a root folder")
        return LocalBlobStore(root, fsync=fsync)
    if kind == "s3":
        if not bucket:
            raise ValueError("the S3 blob store needs a bucket name")
        return S3BlobStore(
            bucket,
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            create_bucket=create_bucket,
        )
    raise ValueError(f"unknown blob store kind {kind!r}; expected local, s3 or memory")
