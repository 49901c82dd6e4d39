"""Blob store on any S3-compatible service (AWS S3, MinIO, Ceph, ...) through boto3.

boto3 is the optional ``[s3]`` extra: it is imported when a store is built, so this module imports
without it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, cast

from clarity.errors import ServiceUnavailable
from clarity.storage.base import BlobNotFound, content_disposition, validate_key

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.exceptions import ClientError
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType

AddressingStyle = Literal["auto", "path", "virtual"]

# SigV4 query signatures are valid for at most seven days.
MAX_PRESIGN_EXPIRY_S = 7 * 24 * 3600
_MISSING_KEY_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
_SESSION_LOCK = threading.Lock()
_SESSION: Session | None = None


class S3BlobStore:
    """Blobs as objects of one S3 bucket; the key is the object key.

    ``put`` is atomic because S3 makes an object visible only once fully uploaded. Requests use
    SigV4, bounded timeouts and botocore's "standard" retry mode (``max_attempts`` counts the first
    try). With an ``endpoint_url`` (MinIO and friends) path-style addressing is the default.
    """

    name: str = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        create_bucket: bool = False,
        addressing_style: AddressingStyle | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        max_attempts: int = 4,
    ) -> None:
        if not bucket:
            raise ValueError("S3 blob store needs a bucket name")
        self.bucket = bucket
        self.region = region
        self._client = _make_client(
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            addressing_style=addressing_style or ("path" if endpoint_url else "auto"),
            connect_timeout_s=connect_timeout_s,
            read_timeout_s=read_timeout_s,
            max_attempts=max_attempts,
        )
        if create_bucket:
            self.ensure_bucket()

    def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        """Upload ``data`` as object ``key`` with ``content_type``."""
        validate_key(key)
        with self._errors(key):
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        """Download object ``key``; raises :class:`BlobNotFound` when missing."""
        validate_key(key)
        with self._errors(key):
            body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                return body.read()
            finally:
                body.close()

    def exists(self, key: str) -> bool:
        """Whether object ``key`` exists (one HEAD request)."""
        validate_key(key)
        try:
            with self._errors(key):
                self._client.head_object(Bucket=self.bucket, Key=key)
        except BlobNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        """Delete object ``key``; S3 answers a missing key with success too."""
        validate_key(key)
        with self._errors(key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def presigned_url(self, key: str, *, expires_s: int, filename: str | None = None) -> str | None:
        """A SigV4 presigned GET URL valid for ``expires_s`` seconds (1 s to 7 days).

        With ``filename`` the download carries ``Content-Disposition: attachment``. Signing is
        local: the URL is made even if the object does not exist (S3 then answers 404).
        """
        validate_key(key)
        if not 1 <= expires_s <= MAX_PRESIGN_EXPIRY_S:
            raise ValueError(f"expires_s must be within 1..{MAX_PRESIGN_EXPIRY_S}, got {expires_s}")
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename)
        with self._errors(key):
            return self._client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_s
            )

    def check(self) -> None:
        """``HEAD`` the bucket: proves the endpoint, credentials and bucket are all usable."""
        with self._errors(None):
            self._client.head_bucket(Bucket=self.bucket)

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (for development servers and tests)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 (boto3 is optional)

        with self._errors(None):
            try:
                self._client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as exc:
                if _status(exc) != 404:
                    raise
            try:
                self._create_bucket()
            except ClientError as exc:
                if _code(exc) != "BucketAlreadyOwnedByYou":
                    raise

    def close(self) -> None:
        """Release the client's pooled HTTP connections."""
        self._client.close()

    def _create_bucket(self) -> None:
        if self.region == "us-east-1":  # the one region that refuses a LocationConstraint
            self._client.create_bucket(Bucket=self.bucket)
            return
        constraint = cast("BucketLocationConstraintType", self.region)
        self._client.create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": constraint}
        )

    @contextmanager
    def _errors(self, key: str | None) -> Iterator[None]:
        """Translate botocore errors into the Clarity error tree."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            yield
        except ClientError as exc:
            raise self._translate(exc, key) from exc
        except BotoCoreError as exc:
            raise ServiceUnavailable(f"S3 blob store {self.bucket!r} unavailable: {exc}") from exc

    def _translate(self, exc: ClientError, key: str | None) -> Exception:
        code, status = _code(exc), _status(exc)
        if code == "NoSuchBucket" or (key is None and status == 404):
            return ServiceUnavailable(f"S3 bucket {self.bucket!r} does not exist")
        if key is not None and (code in _MISSING_KEY_CODES or status == 404):
            return BlobNotFound(f"blob not found: {key}")
        return ServiceUnavailable(f"S3 blob store {self.bucket!r} failed: {code} (HTTP {status})")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int | None:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _make_client(
    *,
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    addressing_style: AddressingStyle,
    connect_timeout_s: float,
    read_timeout_s: float,
    max_attempts: int,
) -> S3Client:
    """Build a boto3 S3 client, one at a time: boto3 sessions are not thread-safe."""
    try:
        import boto3  # noqa: PLC0415 (optional extra)
        from botocore.config import Config  # noqa: PLC0415
    except ImportError as exc:
        raise ImportError(
            "the S3 blob store needs boto3: install the extra with `pip install 'clarity[s3]'`"
        ) from exc
    config = Config(
        signature_version="s3v4",
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
        s3={"addressing_style": addressing_style},
    )
    with _SESSION_LOCK:
        # One session for every store: it caches the parsed service model, which makes each
        # further client ~10x cheaper to build. Credentials are per client.
        global _SESSION  # noqa: PLW0603 (a lazily built process-wide cache)
        if _SESSION is None:
            _SESSION = boto3.session.Session()
        return _SESSION.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )
