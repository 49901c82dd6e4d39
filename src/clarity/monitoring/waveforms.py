"""Waveform chunks: validate, store exactly (blob first, then the row), and read back exactly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from clarity.db.models import Recording, WaveformChunk
from clarity.ecg.waveform import canonical_lead_name
from clarity.errors import Conflict, NotFound, PayloadTooLarge, Unprocessable
from clarity.kit.ids import new_id
from clarity.kit.time import as_utc
from clarity.monitoring import frames, idempotency, repository
from clarity.monitoring.schemas import WaveformAccepted, WaveformUpload
from clarity.monitoring.targets import UploadTarget
from clarity.storage import BlobStore, digest_key, sha256_hex

MIN_FS_HZ = 80.0
MAX_FS_HZ = 20_000.0
MAX_ABS_MV = 50.0
MAX_READ_VALUES = 6_000_000


def frame_from_json(data: WaveformUpload) -> frames.Frame:
    """A frame holding exactly the floats of a JSON upload, in their most compact exact form."""
    names = [canonical_lead_name(n) for n in data.leads]
    if len(set(names)) != len(names):
        raise Unprocessable(f"a lead is named twice in {list(data.leads)}")
    lengths = {name: len(values) for name, values in zip(names, data.leads.values(), strict=True)}
    if len(set(lengths.values())) != 1:
        raise Unprocessable(
            "leads have different lengths: " + ", ".join(f"{k}={v}" for k, v in lengths.items())
        )
    millivolts = np.array(list(data.leads.values()), dtype=np.float64)
    _check_samples(millivolts)
    values, gain = frames.exact_storage(millivolts)
    return frames.Frame(
        data.sampling_rate,
        tuple(names),
        values,
        gain,
        data.start_sample,
        int(data.timestamp.timestamp() * 1000),
    )


def frame_from_binary(body: bytes) -> frames.Frame:
    """A frame decoded from a binary body, lead names canonicalised, samples checked."""
    frame = frames.decode(body)
    names = tuple(canonical_lead_name(n) for n in frame.leads)
    if len(set(names)) != len(names):
        raise Unprocessable(f"a lead is named twice in {list(frame.leads)}")
    if frame.values.dtype.kind == "i" and frame.n_samples:  # finite; the peak without floats
        _check_peak(max(-int(frame.values.min()), int(frame.values.max())) / frame.gain)
    else:
        _check_samples(frame.millivolts())
    return frames.Frame(
        frame.fs, names, frame.values, frame.gain, frame.start_idx, frame.timestamp_ms
    )


def _check_samples(millivolts: npt.NDArray[np.float64]) -> None:
    if millivolts.shape[1] == 0:
        raise Unprocessable("the upload has no samples")
    if not np.isfinite(millivolts).all():
        raise Unprocessable(
            f"{int(np.count_nonzero(~np.isfinite(millivolts)))} samples are NaN or infinite"
        )
    _check_peak(float(np.abs(millivolts).max()))


def _check_peak(peak: float) -> None:
    if peak > MAX_ABS_MV:
        raise Unprocessable(
            f"a sample of {peak:g} mV is beyond ±{MAX_ABS_MV:g} mV: send millivolts"
        )


@dataclass(frozen=True)
class Stored:
    """The answer to a chunk upload; for a chunk stored now, the index of its first sample."""

    answer: WaveformAccepted
    first_sample: int | None = None


class RecordingGone(NotFound):
    """The recording an upload was meant for no longer exists."""


def store_chunk(
    db: Session,
    store: BlobStore,
    target: UploadTarget,
    frame: frames.Frame,
    timestamp: datetime,
    client_key: str | None,
) -> Stored:
    """Store one chunk. A retry (same key, or same content at the same time) writes nothing new.

    The unique constraints decide what is a retry: the idempotency row and the chunk row are
    inserted first (``ON CONFLICT DO NOTHING``), and only a conflict looks up the first answer.
    Then the recording is advanced by a write that only matches an active session; overlaps are
    looked for only when the chunk starts before the end of what was received. Each failure
    raises and the unit of work rolls back everything. The blob is written last but before the
    commit, so no committed row ever points to a missing blob.
    """
    _check_contract(target, frame)
    encoded = frames.encode(frame)
    content_sha = sha256_hex(encoded)
    request_hash = idempotency.fingerprint("waveform", target.id, content_sha)
    chunk_id = new_id("waveform")
    answer = WaveformAccepted(
        waveform_id=chunk_id, n_samples=frame.n_samples, start_sample=frame.start_idx
    )
    if client_key is not None and not repository.insert_idempotency(
        db, target.owner_id, client_key, request_hash, answer.model_dump()
    ):
        replay = idempotency.replay(db, target.owner_id, client_key, request_hash)
        return Stored(WaveformAccepted.model_validate(replay | {"duplicate": True}))
    # a recording has a few thousand chunks a day: one folder of its own is enough
    blob_key = digest_key(f"waveforms/{target.id}", content_sha, suffix=".clrw.z", fan_out=False)
    values = {
        "id": chunk_id,
        "recording_id": target.id,
        "timestamp": timestamp,
        "start_idx": frame.start_idx,
        "fs": frame.fs,
        "leads": list(frame.leads),
        "n_samples": frame.n_samples,
        "encoding": frame.encoding,
        "blob_key": blob_key,
        "content_sha256": content_sha,
    }
    if not repository.insert_chunk(db, values):
        return Stored(_duplicate(db, target, content_sha, timestamp, client_key))
    first_sample = _advance(db, target, frame, chunk_id)
    store.put(blob_key, frames.compress(encoded), content_type="application/octet-stream")
    return Stored(answer, first_sample)


def _duplicate(
    db: Session, target: UploadTarget, content_sha: str, timestamp: datetime, key: str | None
) -> WaveformAccepted:
    """The answer of the chunk already received with this content at this time (a retry)."""
    existing = repository.find_chunk(db, target.id, content_sha, timestamp)
    if existing is None:  # only possible if it vanished between the two statements
        raise Conflict("this chunk is being stored by another request; retry shortly")
    if key is not None:  # the key now names that chunk, for its own retries
        repository.set_idempotency_response(
            db, target.owner_id, key, _accepted(existing, duplicate=False).model_dump()
        )
    return _accepted(existing, duplicate=True)


def _advance(db: Session, target: UploadTarget, frame: frames.Frame, chunk_id: str) -> int:
    """Count the chunk into its recording; the index of its first sample. Raises when the
    session has ended or the chunk overlaps samples already received with other content."""
    if target.fs is None:
        _settle_contract(db, target, frame)
    start = frame.start_idx
    stop = 0 if start is None else start + frame.n_samples
    total, in_order = repository.advance_recording(db, target.id, frame.n_samples, start, stop)
    if total is None:
        recording = repository.get_recording(db, target.id)
        if recording is None:
            raise RecordingGone("session not found")
        raise Conflict("session has ended; start a new session to upload more data")
    if start is None:
        return total - frame.n_samples
    if not in_order:
        _check_no_overlap(db, target.id, start, stop, chunk_id)
    return start


def _check_contract(target: UploadTarget, frame: frames.Frame) -> None:
    """The chunk keeps to its session's sampling contract (once its first chunk has set one)."""
    if not MIN_FS_HZ <= frame.fs <= MAX_FS_HZ:
        raise Unprocessable(
            f"sampling_rate {frame.fs:g} Hz is outside {MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz"
        )
    if target.fs is not None and frame.fs != target.fs:
        raise Unprocessable(
            f"sampling_rate {frame.fs:g} Hz differs from this session's {target.fs:g} Hz"
        )
    if target.leads is not None and frame.leads != target.leads:
        raise Unprocessable(
            f"leads {list(frame.leads)} differ from this session's {list(target.leads)}"
        )
    if target.indexed is not None and (frame.start_idx is not None) != target.indexed:
        raise Unprocessable("send start_sample with every chunk of a session, or with none")


def _settle_contract(db: Session, target: UploadTarget, frame: frames.Frame) -> None:
    """The first chunk sets the contract; when another first chunk has set it meanwhile, this
    one is checked against it."""
    indexed = frame.start_idx is not None
    if repository.set_contract(db, target.id, frame.fs, list(frame.leads), indexed=indexed):
        return
    recording = repository.get_recording_for_update(db, target.id)
    if recording is None:
        raise RecordingGone("session not found")
    _check_contract(UploadTarget.of(recording), frame)


def _accepted(chunk: WaveformChunk, *, duplicate: bool) -> WaveformAccepted:
    return WaveformAccepted(
        waveform_id=chunk.id,
        n_samples=chunk.n_samples,
        start_sample=chunk.start_idx,
        duplicate=duplicate,
    )


def _check_no_overlap(db: Session, recording_id: str, start: int, stop: int, chunk_id: str) -> None:
    clashes = repository.overlapping_chunks(db, recording_id, start, stop, besides=chunk_id)
    if clashes:
        first = clashes[0]
        raise Conflict(
            f"samples {start}-{stop} overlap samples {first.start_idx}-"
            f"{(first.start_idx or 0) + first.n_samples} already received with other content"
        )


@dataclass(frozen=True)
class Segment:
    """Samples of a recording, exactly as sent: ``values`` (n_leads, n) with their ``gain``.

    Integer values divided by ``gain`` are the millivolts; float values are millivolts already.
    Where the stream has a gap, ``values`` is float64 with NaN.
    """

    fs: float
    leads: tuple[str, ...]
    start_idx: int
    values: npt.NDArray[np.generic]
    gain: float
    start_time: datetime | None

    def millivolts(self) -> npt.NDArray[np.float64]:
        return frames.Frame(
            self.fs, self.leads, self.values, self.gain, self.start_idx, None
        ).millivolts()


def read_segment(
    db: Session,
    store: BlobStore,
    recording: Recording,
    *,
    start_s: float | None,
    end_s: float | None,
    leads: list[str] | None,
) -> Segment:
    """Samples ``[start_s, end_s)`` (seconds from the first sample) of the chosen leads."""
    if recording.fs is None or not recording.leads:
        raise Unprocessable("this session has no waveform yet")
    fs, names = recording.fs, [str(n) for n in recording.leads]
    rows = _lead_rows(names, leads)
    placed = _placed_chunks(db, recording)
    total = max((start + n for _, start, n, _ in placed), default=0)
    first = 0 if start_s is None else max(0, round(start_s * fs))
    last = total if end_s is None else min(total, round(end_s * fs))
    if last <= first:
        raise Unprocessable(f"empty window: the session has {total / fs:.3f} s of samples")
    if (last - first) * len(rows) > MAX_READ_VALUES:
        raise PayloadTooLarge(
            f"window too large: ask for at most {MAX_READ_VALUES // len(rows) / fs:.0f} s"
        )
    wanted = [
        (cid, start, n, ts) for cid, start, n, ts in placed if start < last and start + n > first
    ]
    return _assemble(db, store, recording, wanted, rows, first, last)


def _lead_rows(names: list[str], wanted: list[str] | None) -> list[int]:
    if not wanted:
        return list(range(len(names)))
    rows = []
    for name in wanted:
        canonical = canonical_lead_name(name)
        if canonical not in names:
            raise Unprocessable(f"no lead {name!r} in this session; leads are {names}")
        rows.append(names.index(canonical))
    return rows


def _placed_chunks(db: Session, recording: Recording) -> list[tuple[str, int, int, datetime]]:
    """(chunk id, first sample index, n samples, timestamp) in stream order."""
    placed: list[tuple[str, int, int, datetime]] = []
    cursor = 0
    for chunk_id, start_idx, n_samples, timestamp in repository.chunk_layout(db, recording.id):
        start = cursor if start_idx is None else start_idx
        placed.append((chunk_id, start, n_samples, timestamp))
        cursor = start + n_samples
    return sorted(placed, key=lambda item: item[1])


def _assemble(
    db: Session,
    store: BlobStore,
    recording: Recording,
    wanted: list[tuple[str, int, int, datetime]],
    rows: list[int],
    first: int,
    last: int,
) -> Segment:
    chunks = {c.id: c for c in repository.get_chunks(db, [cid for cid, *_ in wanted])}
    decoded = [
        (start, frames.unpack_blob(store.get(chunks[cid].blob_key))) for cid, start, _, _ in wanted
    ]
    dtypes = {(f.values.dtype.str, f.gain) for _, f in decoded}
    covered = sum(min(last, s + f.n_samples) - max(first, s) for s, f in decoded)
    exact_dtype = len(dtypes) == 1 and covered == last - first
    dtype, gain = (
        (decoded[0][1].values.dtype, decoded[0][1].gain) if exact_dtype else (np.dtype("<f8"), 1.0)
    )
    out = np.full((len(rows), last - first), np.nan if dtype.kind == "f" else 0, dtype=dtype)
    for start, frame in decoded:
        lo, hi = max(first, start), min(last, start + frame.n_samples)
        source = frame.values if exact_dtype else frame.millivolts()
        out[:, lo - first : hi - first] = source[rows, lo - start : hi - start]
    start_time = _start_time(wanted, first, recording.fs or 1.0)
    leads = tuple(str(recording.leads[r]) for r in rows) if recording.leads else ()
    return Segment(recording.fs or 0.0, leads, first, out, gain, start_time)


def _start_time(
    wanted: list[tuple[str, int, int, datetime]], first: int, fs: float
) -> datetime | None:
    if not wanted:
        return None
    _, start, _, timestamp = wanted[0]
    return as_utc(timestamp) + timedelta(seconds=(first - start) / fs)
