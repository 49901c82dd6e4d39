"""Content-addressed blob keys: the key is derived from the bytes, so writes are idempotent.

DESIGN: write the blob first under a content-addressed key, then the row that points to it. A
replayed upload computes the same key and overwrites the blob with identical bytes.
"""

from __future__ import annotations

import hashlib

from clarity.storage.base import InvalidBlobKey, validate_key


def sha256_hex(data: bytes) -> str:
    """Lower-case hexadecimal SHA-256 of ``data`` (64 characters), the checksum rows keep."""
    return hashlib.sha256(data).hexdigest()


def content_key(prefix: str, data: bytes, *, suffix: str = "") -> str:
    """Content-addressed key ``"{prefix}/{sha[:2]}/{sha}{suffix}"`` for ``data``.

    The two-character fan-out keeps directories of the local store small. ``suffix`` (such as
    ``".npz"``) must not contain ``/``.

    >>> content_key("waveforms", b"", suffix=".bin")[:16]
    'waveforms/e3/e3b'
    """
    return digest_key(prefix, sha256_hex(data), suffix=suffix)


def digest_key(prefix: str, digest: str, *, suffix: str = "", fan_out: bool = True) -> str:
    """``content_key`` for a SHA-256 already computed (of the content the blob encodes).

    ``fan_out=False`` leaves out the two-character folder, for prefixes that already narrow the
    keys to a few thousand (one recording's chunks): a folder less to make per blob.
    """
    if "/" in suffix:
        raise InvalidBlobKey("key suffix must not contain '/'")
    middle = f"{digest[:2]}/" if fan_out else ""
    return validate_key(f"{prefix}/{middle}{digest}{suffix}")
