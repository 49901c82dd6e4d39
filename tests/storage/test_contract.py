"""The BlobStore contract, run against the memory, local and S3 (moto over HTTP) stores."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from clarity.errors import BadRequest, NotFound
from clarity.storage import BlobNotFound, BlobStore, InvalidBlobKey, S3BlobStore, content_key

PAYLOAD = bytes(range(256)) * 64  # every byte value, 16 KiB

BAD_KEYS = [
    "",
    "../escape",
    "a/../../escape",
    "a/./b",
    "/etc/passwd",
    "a\\b",
    "a//b",
    "a/",
    "line\nbreak",
    "nul\x00byte",
    "k" * 513,
]


def test_is_a_blob_store(store: BlobStore) -> None:
    assert isinstance(store, BlobStore)
    assert store.name in {"local", "s3", "memory"}


def test_round_trip(store: BlobStore) -> None:
    store.put("waveforms/ab/chunk.bin", PAYLOAD, content_type="application/x-npz")
    assert store.get("waveforms/ab/chunk.bin") == PAYLOAD
    assert store.exists("waveforms/ab/chunk.bin")


def test_empty_blob_round_trip(store: BlobStore) -> None:
    store.put("empty", b"")
    assert store.get("empty") == b""
    assert store.exists("empty")


def test_overwrite_replaces_content(store: BlobStore) -> None:
    store.put("reports/r.pdf", b"first version")
    store.put("reports/r.pdf", b"second")
    assert store.get("reports/r.pdf") == b"second"


def test_rewriting_same_content_addressed_blob_is_harmless(store: BlobStore) -> None:
    key = content_key("images", PAYLOAD, suffix=".png")
    store.put(key, PAYLOAD, content_type="image/png")
    store.put(key, PAYLOAD, content_type="image/png")
    assert store.get(key) == PAYLOAD


def test_keys_sharing_a_prefix_are_distinct(store: BlobStore) -> None:
    store.put("p/a", b"A")
    store.put("p/ab", b"AB")
    store.put("p/b/a", b"BA")
    assert [store.get(k) for k in ("p/a", "p/ab", "p/b/a")] == [b"A", b"AB", b"BA"]


def test_missing_key_is_blob_not_found_404(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound) as caught:
        store.get("never/written")
    assert isinstance(caught.value, NotFound)
    assert caught.value.status_code == 404
    assert not store.exists("never/written")


def test_delete_removes_and_is_idempotent(store: BlobStore) -> None:
    store.put("heatmaps/h.png", b"png")
    store.delete("heatmaps/h.png")
    assert not store.exists("heatmaps/h.png")
    with pytest.raises(BlobNotFound):
        store.get("heatmaps/h.png")
    store.delete("heatmaps/h.png")
    store.delete("never/written")


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_every_operation_rejects_unsafe_keys(store: BlobStore, key: str) -> None:
    operations: list[Callable[[], object]] = [
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
        lambda: store.presigned_url(key, expires_s=60),
    ]
    for operation in operations:
        with pytest.raises(InvalidBlobKey) as caught:
            operation()
        assert isinstance(caught.value, BadRequest)
        assert isinstance(caught.value, ValueError)
        assert caught.value.status_code == 400


def test_check_passes_on_a_healthy_store(store: BlobStore) -> None:
    store.check()


def test_presigned_url_only_from_s3(store: BlobStore) -> None:
    store.put("docs/report.pdf", b"%PDF")
    url = store.presigned_url("docs/report.pdf", expires_s=60, filename="report.pdf")
    if store.name == "s3":
        assert url is not None
        assert url.startswith("http")
    else:
        assert url is None


def test_concurrent_puts_of_one_key_never_tear(
    store: BlobStore, request: pytest.FixtureRequest
) -> None:
    """Writers race on one key while readers read: every read is one writer's blob, whole."""
    if isinstance(store, S3BlobStore):
        # moto (not S3) closes an overwritten object's buffer while a GET may still stream it
        # and answers 500; it keeps old buffers open only in versioned buckets.
        request.getfixturevalue("enable_versioning")(store.bucket)
    payloads = [bytes([i]) * (128 * 1024) for i in range(6)]
    store.put("race/key", payloads[0])
    seen: list[bytes] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(payloads) + 2)

    def write(data: bytes) -> None:
        start.wait()
        for _ in range(3):
            store.put("race/key", data)

    def read() -> None:
        start.wait()
        for _ in range(10):
            seen.append(store.get("race/key"))

    def guarded(target: Callable[..., None], *args: bytes) -> None:
        try:
            target(*args)
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(write, p)) for p in payloads]
    threads += [threading.Thread(target=guarded, args=(read,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(seen) == 20
    assert all(blob in payloads for blob in seen)
    assert store.get("race/key") in payloads
