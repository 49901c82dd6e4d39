"""Key validation, content-addressed keys and download headers."""

from __future__ import annotations

import hashlib

import pytest

from clarity.errors import BadRequest
from clarity.storage import (
    MAX_KEY_LENGTH,
    InvalidBlobKey,
    content_disposition,
    content_key,
    sha256_hex,
    validate_key,
)


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "waveforms/3f/3fab.npz",
        "reports/patient 12/report (final).pdf",
        "images/ünïcode.png",
        "a..b/c..",
        "k" * MAX_KEY_LENGTH,
    ],
)
def test_accepts_safe_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "non-empty"),
        ("k" * (MAX_KEY_LENGTH + 1), "longer than"),
        ("..", "'.'"),
        ("../x", "'.'"),
        ("a/../../x", "'.'"),
        ("a/./x", "'.'"),
        (".hidden", "'.'"),
        ("a/.tmp123.tmp", "'.'"),
        ("/abs/path", "relative"),
        ("a\\..\\x", "backslash"),
        ("a//b", "empty"),
        ("a/ /b", "blank"),
        ("trailing/", "empty"),
        ("tab\there", "printable"),
        ("nul\x00", "printable"),
        ("bell\x07", "printable"),
    ],
)
def test_rejects_unsafe_keys_with_a_reason(key: str, reason: str) -> None:
    with pytest.raises(InvalidBlobKey, match=reason):
        validate_key(key)


def test_invalid_key_is_a_400_and_a_value_error() -> None:
    error = InvalidBlobKey("x")
    assert isinstance(error, BadRequest)
    assert isinstance(error, ValueError)
    assert error.status_code == 400


def test_sha256_hex_matches_hashlib() -> None:
    assert sha256_hex(b"ecg") == hashlib.sha256(b"ecg").hexdigest()
    assert len(sha256_hex(b"")) == 64


def test_content_key_layout() -> None:
    digest = hashlib.sha256(b"chunk").hexdigest()
    assert content_key("waveforms", b"chunk") == f"waveforms/{digest[:2]}/{digest}"
    assert content_key("a/b", b"chunk", suffix=".npz") == f"a/b/{digest[:2]}/{digest}.npz"


def test_content_key_depends_only_on_content() -> None:
    assert content_key("w", b"one") == content_key("w", b"one")
    assert content_key("w", b"one") != content_key("w", b"two")


@pytest.mark.parametrize(
    ("prefix", "suffix"), [("../up", ""), ("", ""), ("/abs", ""), ("w", "/x.bin"), ("p" * 500, "")]
)
def test_content_key_rejects_bad_prefix_or_suffix(prefix: str, suffix: str) -> None:
    with pytest.raises(InvalidBlobKey):
        content_key(prefix, b"data", suffix=suffix)


def test_content_disposition_ascii_name() -> None:
    assert content_disposition("report.pdf") == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )


def test_content_disposition_keeps_unicode_in_rfc5987_form() -> None:
    value = content_disposition("EKG Müller.pdf")
    assert 'filename="EKG M_ller.pdf"' in value
    assert "filename*=UTF-8''EKG%20M%C3%BCller.pdf" in value


@pytest.mark.parametrize(
    "hostile", ['a"; x="y.pdf', "evil\r\nSet-Cookie: a=b.pdf", "../../etc/passwd", "..\\win.ini"]
)
def test_content_disposition_cannot_inject_or_traverse(hostile: str) -> None:
    value = content_disposition(hostile)
    assert "\r" not in value
    assert "\n" not in value
    assert value.count('"') == 2
    assert "/" not in value.split("filename*=")[0]
    assert "\\" not in value


def test_content_disposition_empty_name_falls_back() -> None:
    assert 'filename="download"' in content_disposition("dir/")
