"""Whole recordings for analysis tests: synthetic beat trains, MIT-BIH records, streamed in chunks."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import wfdb
from fastapi.testclient import TestClient

from clarity.jobs import InlineQueue
from clarity.runtime import Runtime
from tests.factories.accounts import Account
from tests.factories.devices import binary_frame, later, send_binary
from tests.realdata import shared_data

GAIN = 200.0
Counts = npt.NDArray[np.int16]


def beat_train(duration_s: float, hr_bpm: float = 72.0, start_s: float = 0.3) -> list[float]:
    """Beat times (s) of a regular rhythm."""
    return np.arange(start_s, duration_s, 60.0 / hr_bpm).tolist()


def ecg_counts(
    beat_times_s: list[float], duration_s: float, fs: float = 250.0, n_leads: int = 2, seed: int = 0
) -> Counts:
    """int16 counts at ``GAIN`` per mV: Gaussian P-QRS-T at each beat time plus 10 µV noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(fs * duration_s)) / fs
    base = np.zeros(t.size)
    for beat in beat_times_s:
        for offset, width, amp in ((-0.16, 0.025, 0.12), (0.0, 0.012, 1.1), (0.28, 0.05, 0.3)):
            lo, hi = np.searchsorted(t, [beat + offset - 5 * width, beat + offset + 5 * width])
            base[lo:hi] += amp * np.exp(-0.5 * ((t[lo:hi] - beat - offset) / width) ** 2)
    gains = np.linspace(0.8, 1.2, n_leads)[:, None]
    millivolts = gains * base + rng.normal(0, 0.01, (n_leads, t.size))
    return np.round(millivolts * GAIN).astype(np.int16)


def mitdb_counts(record: str, seconds: float) -> tuple[Counts, float]:
    """The first ``seconds`` of an MIT-BIH record as int16 counts at ``GAIN`` (its own ADC gain)."""
    path = str(shared_data("mitdb", f"{record}.dat").with_suffix(""))
    rec = wfdb.rdrecord(path, physical=False, sampto=round(seconds * 360))
    assert list(rec.adc_gain) == [GAIN, GAIN]
    counts = (rec.d_signal - np.asarray(rec.baseline)).T.astype(np.int16)
    return np.ascontiguousarray(counts), float(rec.fs)


def stream(
    client: TestClient,
    account: Account,
    session_id: str,
    counts: Counts,
    *,
    fs: float,
    chunk_s: float = 10.0,
    indexed: bool = False,
    leads: tuple[str, ...] = ("II", "V1"),
    first_idx: int = 0,
) -> None:
    """Send ``counts`` as consecutive binary chunks (with ``start_sample`` when ``indexed``)."""
    step = round(chunk_s * fs)
    for k in range(0, counts.shape[1], step):
        at = first_idx + k
        body = binary_frame(
            counts[:, k : k + step],
            fs=fs,
            gain=GAIN,
            start_idx=at if indexed else None,
            at=later(at / fs),
            leads=leads[: counts.shape[0]],
        )
        response = send_binary(client, account, session_id, body)
        assert response.status_code == 200, response.text


def end(client: TestClient, account: Account, session_id: str) -> None:
    response = client.post(f"/api/v1/sessions/{session_id}/end", json={}, headers=account.headers)
    assert response.status_code == 200, response.text


def settle(runtime: Runtime, timeout_s: float = 120.0) -> None:
    """Wait until the inline queue has run every job (the analysis of what was sent)."""
    assert isinstance(runtime.jobs, InlineQueue)
    assert runtime.jobs.wait_idle(timeout_s), "analysis jobs did not finish"
