"""The ingest write path: retries decided by unique constraints, the ended check by the write,
overlap checks only where a chunk could overlap, per-owner upload targets, previews on demand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clarity.db.models import IdempotencyRecord, Recording, WaveformChunk
from clarity.monitoring import frames, notices
from clarity.runtime import Runtime
from tests.factories.accounts import register
from tests.factories.devices import binary_frame, later, send_binary, start

LEADS = ("I", "II")


def _counts(seed: int) -> np.ndarray[Any, np.dtype[np.int16]]:
    return np.random.default_rng(seed).integers(-900, 900, size=(2, 500), dtype=np.int16)


def _frame(seed: int, start_idx: int | None = None, *, at_s: float | None = None) -> bytes:
    at = later((start_idx or 0) / 500 if at_s is None else at_s)
    return binary_frame(_counts(seed), start_idx=start_idx, leads=LEADS, at=at)


def _recording(runtime: Runtime, session_id: str, owner_id: str | None = None) -> Recording:
    stmt = select(Recording).where(Recording.session_id == session_id)
    if owner_id is not None:
        stmt = stmt.where(Recording.owner_id == owner_id)
    with runtime.session_factory() as db:
        recording = db.scalars(stmt).one()
        db.expunge(recording)
        return recording


def _count(runtime: Runtime, model: type[Any]) -> int:
    with runtime.session_factory() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def _end(client: TestClient, headers: dict[str, str], session_id: str) -> None:
    assert client.post(f"/api/v1/sessions/{session_id}/end", json={}, headers=headers).is_success


def test_a_new_chunk_is_counted_once_and_its_retries_replay(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    key = {"Idempotency-Key": "k-1"}
    first = send_binary(client, device, session_id, _frame(1, 0), key).json()
    assert first["duplicate"] is False and first["n_samples"] == 500
    again = send_binary(client, device, session_id, _frame(1, 0), key).json()
    assert again == first | {"duplicate": True}
    recording = _recording(runtime, session_id)
    assert (recording.n_samples, recording.n_chunks, recording.received_until_idx) == (500, 1, 500)
    assert (recording.fs, recording.leads, recording.indexed) == (500.0, list(LEADS), True)
    misuse = send_binary(client, device, session_id, _frame(2, 500), key)
    assert misuse.status_code == 422 and "Idempotency-Key" in misuse.json()["detail"]
    assert _count(runtime, WaveformChunk) == 1 and _count(runtime, IdempotencyRecord) == 1


def test_same_content_under_a_new_key_is_the_same_chunk_and_the_key_names_it(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    first = send_binary(client, device, session_id, _frame(1, 0)).json()
    key = {"Idempotency-Key": "k-late"}
    duplicate = send_binary(client, device, session_id, _frame(1, 0), key).json()
    assert duplicate == first | {"duplicate": True}
    replay = send_binary(client, device, session_id, _frame(1, 0), key).json()
    assert replay == duplicate
    assert _recording(runtime, session_id).n_chunks == 1 and _count(runtime, WaveformChunk) == 1


def test_after_the_end_retries_still_replay_but_new_chunks_conflict(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    key = {"Idempotency-Key": "k-before-end"}
    first = send_binary(client, device, session_id, _frame(1, 0), key).json()
    _end(client, device.headers, session_id)
    assert send_binary(client, device, session_id, _frame(1, 0), key).json() == (
        first | {"duplicate": True}
    )
    assert send_binary(client, device, session_id, _frame(1, 0)).json()["duplicate"] is True
    late = send_binary(client, device, session_id, _frame(2, 500), {"Idempotency-Key": "k-new"})
    assert late.status_code == 409 and "ended" in late.json()["detail"]
    assert _count(runtime, WaveformChunk) == 1 and _count(runtime, IdempotencyRecord) == 1
    assert _recording(runtime, session_id).n_samples == 500  # nothing of the refusal was written


def test_overlaps_are_checked_wherever_a_chunk_could_overlap(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    for start_idx in (1000, 0):  # a gap at 500-1000, filled below
        assert send_binary(client, device, session_id, _frame(start_idx, start_idx)).is_success
    clash = send_binary(client, device, session_id, _frame(7, 400))  # 400-900 runs into 0-500
    assert clash.status_code == 409 and "overlap" in clash.json()["detail"]
    assert send_binary(client, device, session_id, _frame(500, 500)).is_success  # fits the gap
    tail = send_binary(client, device, session_id, _frame(9, 1400))  # 1400-1900 runs into 1000-1500
    assert tail.status_code == 409
    recording = _recording(runtime, session_id)
    assert (recording.n_samples, recording.received_until_idx) == (1500, 1500)
    back = client.get(
        f"/api/v1/sessions/{session_id}/waveform",
        params={"format": "binary"},
        headers=device.headers,
    )
    expected = np.hstack([_counts(0), _counts(500), _counts(1000)])
    assert np.array_equal(frames.decode(back.content).values, expected)


def test_chunks_without_start_sample_follow_each_other(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    session_id = start(client, device)
    for k in range(3):
        assert send_binary(client, device, session_id, _frame(k, None, at_s=k)).is_success
    indexed = send_binary(client, device, session_id, _frame(5, 1500))
    assert indexed.status_code == 422 and "start_sample" in indexed.json()["detail"]
    recording = _recording(runtime, session_id)
    assert (recording.n_samples, recording.indexed, recording.received_until_idx) == (
        1500,
        False,
        0,
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [({"fs": 250.0}, "sampling_rate 250"), ({"leads": ("I", "III")}, "leads")],
)
def test_the_first_chunk_sets_the_contract_the_others_keep(
    client: TestClient, runtime: Runtime, change: dict[str, Any], words: str
) -> None:
    device = register(client)
    session_id = start(client, device)
    assert send_binary(client, device, session_id, _frame(1, 0)).is_success
    assert send_binary(client, device, session_id, _frame(2, 500)).is_success  # a cached target
    counts = _counts(3)
    body = binary_frame(counts, start_idx=1000, at=later(2), **{"leads": LEADS, **change})
    refused = send_binary(client, device, session_id, body)
    assert refused.status_code == 422 and words in refused.json()["detail"]
    assert _recording(runtime, session_id).n_chunks == 2


def test_targets_are_per_owner(client: TestClient, runtime: Runtime) -> None:
    owner, other = register(client), register(client)
    session_id = start(client, owner)
    assert send_binary(client, owner, session_id, _frame(1, 0)).is_success
    assert send_binary(client, other, session_id, _frame(2, 500)).status_code == 404
    assert start(client, other, session_id=session_id) == session_id  # the same client id
    assert send_binary(client, other, session_id, _frame(3, 0)).is_success  # goes to their own
    for account in (owner, other):  # now with a contract: their targets are remembered
        assert send_binary(client, account, session_id, _frame(4, 500)).is_success
    assert len(runtime.upload_targets) == 2
    mine = _recording(runtime, session_id, owner.user_id)
    theirs = _recording(runtime, session_id, other.user_id)
    assert mine.n_chunks == 2 and theirs.n_chunks == 2
    assert send_binary(client, other, mine.id, _frame(5, 1000)).status_code == 404
    assert send_binary(client, other, session_id, _frame(6, 1000)).is_success
    assert _recording(runtime, session_id, owner.user_id).n_chunks == 2


def test_the_preview_is_built_only_for_watchers(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    real = notices.chunk_notice

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append("preview")
        return real(*args, **kwargs)

    monkeypatch.setattr(notices, "chunk_notice", counting)
    device = register(client)
    session_id = start(client, device)
    assert send_binary(client, device, session_id, _frame(1, 0)).is_success
    assert built == []
    path = f"/api/v1/sessions/{session_id}/stream?mode=watch"
    with client.websocket_connect(path, headers=device.headers) as watcher:
        assert watcher.receive_json()["type"] == "ready"
        assert send_binary(client, device, session_id, _frame(2, 500)).is_success
        notice = watcher.receive_json()
        while notice["type"] != "chunk":
            notice = watcher.receive_json()
        assert notice["first_sample"] == 500 and built == ["preview"]
