"""Synthetic ECG for tests: seeded, physiological enough for ingest and analysis checks."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

LEADS_12 = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


def synthetic_ecg(
    fs: float = 500.0,
    duration_s: float = 5.0,
    hr_bpm: float = 72.0,
    n_leads: int = 12,
    seed: int = 0,
) -> npt.NDArray[np.float64]:
    """(n_leads, n) in mV: Gaussian P, QRS and T waves at ``hr_bpm`` plus a little noise."""
    rng = np.random.default_rng(seed)
    n = round(fs * duration_s)
    t = np.arange(n) / fs
    beat_times = np.arange(0.3, duration_s, 60.0 / hr_bpm)
    base = np.zeros(n)
    for beat in beat_times:
        for offset, width, amp in ((-0.16, 0.025, 0.12), (0.0, 0.012, 1.1), (0.28, 0.05, 0.3)):
            base += amp * np.exp(-0.5 * ((t - beat - offset) / width) ** 2)
    gains = np.linspace(0.6, 1.2, n_leads) * np.where(np.arange(n_leads) == 3, -1, 1)
    return np.round(gains[:, None] * base + rng.normal(0, 0.01, (n_leads, n)), 3)


def leads_dict(
    samples: npt.NDArray[np.float64], names: tuple[str, ...] = LEADS_12
) -> dict[str, list[float]]:
    """The seed's JSON lead dict for ``samples``."""
    return {name: samples[i].tolist() for i, name in enumerate(names[: samples.shape[0]])}
