"""What only the file-system store does: layout, atomic replace, collisions, unwritable roots."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from clarity.errors import Conflict, ServiceUnavailable
from clarity.storage import BlobNotFound, InvalidBlobKey, LocalBlobStore


def _all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_blob_is_a_file_at_its_key(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("waveforms/ab/chunk.bin", b"samples")
    assert (tmp_path / "waveforms" / "ab" / "chunk.bin").read_bytes() == b"samples"
    assert _all_files(tmp_path) == ["waveforms/ab/chunk.bin"]


def test_a_folder_removed_behind_the_stores_back_is_made_again(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("waveforms/ab/one.bin", b"1")
    (tmp_path / "waveforms" / "ab" / "one.bin").unlink()
    (tmp_path / "waveforms" / "ab").rmdir()  # the store remembers having made it
    store.put("waveforms/ab/two.bin", b"2")
    assert store.get("waveforms/ab/two.bin") == b"2"


def test_files_are_private_to_the_owner(tmp_path: Path) -> None:
    LocalBlobStore(tmp_path).put("phi/record.bin", b"x")
    assert stat.S_IMODE((tmp_path / "phi" / "record.bin").stat().st_mode) == 0o600


def test_root_is_created_lazily(tmp_path: Path) -> None:
    root = tmp_path / "var" / "blobs"
    store = LocalBlobStore(root)
    assert not root.exists()
    store.check()
    assert root.is_dir()
    assert _all_files(root) == []


def test_relative_root_is_fixed_at_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = LocalBlobStore("var/blobs")
    store.put("k", b"v")
    monkeypatch.chdir("/")
    assert store.get("k") == b"v"
    assert store.root == tmp_path / "var" / "blobs"


def test_failed_write_keeps_old_blob_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("r/report.pdf", b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ServiceUnavailable, match="No space left"):
        store.put("r/report.pdf", b"new")
    monkeypatch.undo()
    assert store.get("r/report.pdf") == b"old"
    assert _all_files(tmp_path) == ["r/report.pdf"]


def test_fsync_flushes_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    LocalBlobStore(tmp_path, fsync=True).put("a/b", b"durable")
    assert len(synced) == 2
    synced.clear()
    LocalBlobStore(tmp_path).put("a/c", b"fast")
    assert synced == []
    assert LocalBlobStore(tmp_path).get("a/b") == b"durable"


def test_traversal_writes_nothing_outside_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "root")
    for key in ("../outside", "a/../../outside", "/tmp/outside"):
        with pytest.raises(InvalidBlobKey):
            store.put(key, b"x")
    assert _all_files(tmp_path) == []


def test_file_then_folder_key_is_a_conflict(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("a", b"file")
    with pytest.raises(Conflict):
        store.put("a/b", b"below a file")
    with pytest.raises(BlobNotFound):
        store.get("a/b")
    assert not store.exists("a/b")
    store.delete("a/b")
    assert store.get("a") == b"file"


def test_folder_then_file_key_is_a_conflict(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("x/y", b"inner")
    with pytest.raises(Conflict):
        store.put("x", b"over a folder")
    with pytest.raises(BlobNotFound):
        store.get("x")
    assert not store.exists("x")
    store.delete("x")
    assert store.get("x/y") == b"inner"
    assert _all_files(tmp_path) == ["x/y"]


def test_root_that_is_a_file_is_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    root.write_bytes(b"not a folder")
    store = LocalBlobStore(root)
    with pytest.raises(ServiceUnavailable, match="not writable") as caught:
        store.check()
    assert caught.value.status_code == 503
    with pytest.raises(ServiceUnavailable):
        store.put("k", b"v")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_root_is_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    root.mkdir()
    root.chmod(0o500)
    try:
        with pytest.raises(ServiceUnavailable, match="not writable"):
            LocalBlobStore(root).check()
    finally:
        root.chmod(0o700)


def test_root_on_a_read_only_file_system_is_unavailable() -> None:
    proc = Path("/proc/self")
    if not proc.is_dir():
        pytest.skip("needs /proc (Linux)")
    with pytest.raises(ServiceUnavailable, match="not writable"):
        LocalBlobStore(proc / "clarity-blobs").check()


def test_reading_before_the_first_write_is_not_found(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "not-yet")
    with pytest.raises(BlobNotFound):
        store.get("k")
    assert not store.exists("k")
    store.delete("k")


def test_reading_from_a_root_that_is_a_file_is_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    root.write_bytes(b"not a folder")
    with pytest.raises(ServiceUnavailable):
        LocalBlobStore(root).get("k")
