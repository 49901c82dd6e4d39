"""Blob store on the local file system: the embedded mode's ``./var/blobs``."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from clarity.errors import Conflict, ServiceUnavailable
from clarity.storage.base import BlobNotFound, InvalidBlobKey, validate_key

# A key whose path runs through a regular file (``a`` then ``a/b``), or a file put where a
# folder of other keys is: the file system cannot hold both, S3 could.
_COLLISIONS = (FileExistsError, NotADirectoryError, IsADirectoryError)
_MAX_KNOWN_FOLDERS = 100_000
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class LocalBlobStore:
    """One file per blob under ``root``; key ``a/b/c`` is the file ``root/a/b/c``.

    Writes go to a temporary file in the target folder, then ``os.replace`` swaps it in, so a
    reader sees the old blob or the new one, never a torn write. With ``fsync=True`` the data and
    the folder entry are flushed to disk before ``put`` returns (durable across power loss, slower).
    Folders are created on first write. Files are created readable by the owner only, since
    blobs hold health data. Symbolic links placed inside ``root`` by the operator are followed.
    """

    name: str = "local"

    def __init__(self, root: Path | str, *, fsync: bool = False) -> None:
        self.root = Path(os.path.normpath(Path(root).absolute()))
        self.fsync = fsync
        self._folders: set[Path] = set()  # made by this store: no mkdir call for each write

    def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        """Write ``data`` to ``key`` atomically (``content_type`` is not kept on disk)."""
        path = self._path(key)
        try:
            if path.parent not in self._folders:
                self._make_folder(path.parent)
            try:
                self._write_atomically(path, data)
            except FileNotFoundError:  # the folder was removed behind the store's back
                self._folders.discard(path.parent)
                self._make_folder(path.parent)
                self._write_atomically(path, data)
        except _COLLISIONS as exc:
            self._raise_if_root_unusable(exc)
            raise Conflict(f"blob key {key!r} collides with the folder of another key") from exc
        except OSError as exc:
            raise ServiceUnavailable(f"local blob store cannot write {key!r}: {exc}") from exc

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises :class:`BlobNotFound` when missing."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, *_COLLISIONS) as exc:
            self._raise_if_root_unusable(exc)
            raise BlobNotFound(f"blob not found: {key}") from exc
        except OSError as exc:
            raise ServiceUnavailable(f"local blob store cannot read {key!r}: {exc}") from exc

    def exists(self, key: str) -> bool:
        """Whether ``key`` names a stored blob (a folder of other keys does not count)."""
        path = self._path(key)
        try:
            return path.is_file()
        except OSError as exc:
            raise ServiceUnavailable(f"local blob store cannot stat {key!r}: {exc}") from exc

    def delete(self, key: str) -> None:
        """Remove ``key``'s file if there is one. Empty folders are left for later writes."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except _COLLISIONS:
            return
        except OSError as exc:
            raise ServiceUnavailable(f"local blob store cannot delete {key!r}: {exc}") from exc

    def presigned_url(self, key: str, *, expires_s: int, filename: str | None = None) -> str | None:
        """Always ``None``: the app serves local blobs behind its own signed link."""
        self._path(key)
        return None

    def check(self) -> None:
        """Create ``root`` if needed and prove it is writable with a throw-away file."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=".check-", suffix=".tmp")
            try:
                os.write(fd, b"ok")
            finally:
                os.close(fd)
                os.unlink(probe)
        except OSError as exc:
            raise ServiceUnavailable(
                f"local blob store {self.root} is not writable: {exc}"
            ) from exc

    def _raise_if_root_unusable(self, cause: OSError) -> None:
        """Tell a broken store (root is not a folder) from a key-level problem.

        A root that does not exist yet is fine: it is created by the first write.
        """
        if self.root.exists() and not self.root.is_dir():
            raise ServiceUnavailable(
                f"local blob store {self.root} is not a usable folder: {cause}"
            ) from cause

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = Path(os.path.normpath(self.root / key))
        if path == self.root or not path.is_relative_to(self.root):
            raise InvalidBlobKey("blob key resolves outside the store")
        return path

    def _make_folder(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if len(self._folders) >= _MAX_KNOWN_FOLDERS:
            self._folders.clear()
        self._folders.add(folder)

    def _write_atomically(self, path: Path, data: bytes) -> None:
        tmp_name = path.parent / f".{secrets.token_hex(8)}.tmp"  # what mkstemp does, leaner
        fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o600)
        try:
            try:
                with memoryview(data) as view:
                    written = 0
                    while written < len(view):
                        written += os.write(fd, view[written:])
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        if self.fsync:
            _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Flush a folder entry so a rename survives power loss (POSIX; a no-op elsewhere)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
