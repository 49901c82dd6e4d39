"""HMAC-signed download links for the local and memory stores."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from clarity.errors import Forbidden
from clarity.storage import InvalidBlobKey, blob_link_signature, sign_blob_link, verify_blob_link

SECRET = b"0123456789abcdef-clarity-test"
KEY = "reports/ab/abcdef.pdf"
NOW_S = 1_800_000_000.0
EXPIRES_AT = int(NOW_S) + 300


def _query(filename: str | None = None) -> dict[str, str]:
    query = parse_qs(sign_blob_link(SECRET, KEY, EXPIRES_AT, filename), strict_parsing=True)
    return {name: values[0] for name, values in query.items()}


def test_link_round_trip_without_filename() -> None:
    query = _query()
    assert set(query) == {"expires", "sig"}
    assert query["expires"] == str(EXPIRES_AT)
    verify_blob_link(SECRET, KEY, expires_at=int(query["expires"]), sig=query["sig"], now_s=NOW_S)


def test_link_round_trip_with_unicode_filename() -> None:
    query = _query("EKG Müller & Co.pdf")
    assert query["filename"] == "EKG Müller & Co.pdf"
    verify_blob_link(
        SECRET,
        KEY,
        expires_at=int(query["expires"]),
        sig=query["sig"],
        filename=query["filename"],
        now_s=NOW_S,
    )


@pytest.mark.parametrize(
    ("key", "expires_at", "filename", "secret"),
    [
        ("reports/ab/abcdef0.pdf", EXPIRES_AT, "r.pdf", SECRET),  # another blob
        (KEY, EXPIRES_AT + 86_400, "r.pdf", SECRET),  # extended lifetime
        (KEY, EXPIRES_AT, "other.pdf", SECRET),  # renamed download
        (KEY, EXPIRES_AT, None, SECRET),  # filename dropped
        (KEY, EXPIRES_AT, "r.pdf", b"another-secret-of-16+bytes"),  # other deployment
    ],
    ids=["key", "expires", "filename", "no-filename", "secret"],
)
def test_any_tampering_is_forbidden(
    key: str, expires_at: int, filename: str | None, secret: bytes
) -> None:
    sig = _query("r.pdf")["sig"]
    with pytest.raises(Forbidden, match="signature"):
        verify_blob_link(
            secret, key, expires_at=expires_at, sig=sig, filename=filename, now_s=NOW_S
        )


@pytest.mark.parametrize("sig", ["", "x", "A" * 43, "é" * 43, "\x00"])
def test_garbage_signatures_are_forbidden_not_crashes(sig: str) -> None:
    with pytest.raises(Forbidden) as caught:
        verify_blob_link(SECRET, KEY, expires_at=EXPIRES_AT, sig=sig, now_s=NOW_S)
    assert caught.value.status_code == 403


def test_expired_link_is_forbidden() -> None:
    sig = _query()["sig"]
    verify_blob_link(SECRET, KEY, expires_at=EXPIRES_AT, sig=sig, now_s=EXPIRES_AT - 1)
    with pytest.raises(Forbidden, match="expired"):
        verify_blob_link(SECRET, KEY, expires_at=EXPIRES_AT, sig=sig, now_s=EXPIRES_AT)


def test_default_clock_is_the_real_one() -> None:
    past = 1_000_000_000
    sig = blob_link_signature(SECRET, KEY, past, None)
    with pytest.raises(Forbidden, match="expired"):
        verify_blob_link(SECRET, KEY, expires_at=past, sig=sig)


def test_signature_is_compact_and_url_safe() -> None:
    sig = blob_link_signature(SECRET, KEY, EXPIRES_AT, None)
    assert len(sig) == 43
    assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        sign_blob_link(b"short", KEY, EXPIRES_AT)


def test_unsafe_key_cannot_be_signed() -> None:
    with pytest.raises(InvalidBlobKey):
        sign_blob_link(SECRET, "../etc/passwd", EXPIRES_AT)


def test_empty_filename_is_the_same_as_none() -> None:
    query = parse_qs(sign_blob_link(SECRET, KEY, EXPIRES_AT, ""))
    assert "filename" not in query
    verify_blob_link(SECRET, KEY, expires_at=EXPIRES_AT, sig=query["sig"][0], now_s=NOW_S)
