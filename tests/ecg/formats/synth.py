"""Seeded synthetic ECGs and comparisons for the format tests (fixtures generated here)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest

from clarity.ecg.waveform import STANDARD_LEADS, Waveform

START = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)

# (centre in s after the R peak, width s, amplitude mV) of P, Q, R, S, T in lead II
_WAVES = ((-0.2, 0.025, 0.15), (-0.03, 0.01, -0.1), (0.0, 0.012, 1.2), (0.03, 0.01, -0.25),
          (0.28, 0.05, 0.3))  # fmt: skip
# per-lead amplitude relative to lead II, chosen so the limb leads obey Einthoven's relations
_LIMB = {"I": 0.6, "II": 1.0}
_PRECORDIAL = {"V1": -0.7, "V2": -0.3, "V3": 0.4, "V4": 1.3, "V5": 1.1, "V6": 0.8}


def _beat_train(fs: float, n_samples: int, seed: int) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / fs
    signal = np.zeros(n_samples)
    beat_s = 0.3
    while beat_s < t[-1] + 0.5:
        for centre, width, amp in _WAVES:
            signal += amp * np.exp(-(((t - beat_s - centre) / width) ** 2) / 2)
        beat_s += 60 / 72 + rng.normal(0, 0.02)
    return signal + rng.normal(0, 0.01, n_samples)


def synthetic_ecg(
    *,
    fs: float = 500.0,
    duration_s: float = 4.0,
    leads: tuple[str, ...] = STANDARD_LEADS,
    start: datetime | None = START,
    seed: int = 7,
) -> Waveform:
    """A 12-lead-like ECG at 72 bpm with noise; limb leads consistent with I and II."""
    n = round(fs * duration_s)
    base = _beat_train(fs, n, seed)
    lead_i = _LIMB["I"] * base + np.random.default_rng(seed + 1).normal(0, 0.01, n)
    lead_ii = base
    rows = {
        "I": lead_i, "II": lead_ii, "III": lead_ii - lead_i, "aVR": -(lead_i + lead_ii) / 2,
        "aVL": lead_i - lead_ii / 2, "aVF": lead_ii - lead_i / 2,
        **{name: gain * base for name, gain in _PRECORDIAL.items()},
    }  # fmt: skip
    samples = np.stack([rows.get(name, 0.5 * base) for name in leads]).astype(np.float32)
    return Waveform(samples, fs, leads, start)


def assert_same_recording(
    got: Waveform, want: Waveform, *, tol_mv: float, check_start: bool = True
) -> None:
    """Same leads, rate, length, start and samples within ``tol_mv``."""
    assert got.leads == want.leads
    assert got.fs == pytest.approx(want.fs)
    assert got.n_samples == want.n_samples
    if check_start:
        assert got.start == want.start
    assert got.samples.dtype == np.float32
    np.testing.assert_allclose(got.samples, want.samples, rtol=0, atol=tol_mv)
