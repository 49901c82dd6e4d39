"""What an upload needs to know about its recording, remembered per process and per owner.

A device sends a chunk every few seconds to the same session. Which recording its path names,
who owns it and its sampling contract (rate, leads, whether chunks carry ``start_sample``) never
change once its first chunk has set them, so they are looked up once per process, not once per
chunk. What does change (the session ending, the samples received) is decided by the writes
themselves (``waveforms.store_chunk``), never from this memory.

Entries are keyed by the caller's user id and the path's reference, and an entry is only made
for a recording that user owns: one user's entry can never resolve another user's reference.
The memory is bounded (the oldest entries go first).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from clarity.db.models import Recording


@dataclass(frozen=True)
class UploadTarget:
    """A recording as uploads see it. ``fs`` is None until its first chunk arrives."""

    id: str
    session_id: str
    owner_id: str
    fs: float | None
    leads: tuple[str, ...] | None
    indexed: bool | None

    def settled(self, fs: float, leads: tuple[str, ...], *, indexed: bool) -> UploadTarget:
        """This target with the contract its first chunk has set."""
        return UploadTarget(self.id, self.session_id, self.owner_id, fs, leads, indexed)

    @classmethod
    def of(cls, recording: Recording) -> UploadTarget:
        leads = tuple(str(n) for n in recording.leads) if recording.leads is not None else None
        return cls(
            recording.id,
            recording.session_id,
            recording.owner_id,
            recording.fs,
            leads,
            recording.indexed,
        )


class TargetCache:
    """Upload targets with a sampling contract, by (owner id, path reference)."""

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], UploadTarget] = {}

    def get(self, owner_id: str, ref: str) -> UploadTarget | None:
        return self._entries.get((owner_id, ref))

    def put(self, owner_id: str, ref: str, target: UploadTarget) -> None:
        """Remember ``target`` for ``ref`` of its owner (only once its contract is set)."""
        if target.owner_id != owner_id or target.fs is None:
            return
        with self._lock:
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[(owner_id, ref)] = target

    def forget(self, recording_id: str) -> None:
        """Drop every entry of a recording (it was not found where it was expected)."""
        with self._lock:
            for key in [k for k, t in self._entries.items() if t.id == recording_id]:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
