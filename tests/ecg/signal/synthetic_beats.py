"""A single-lead synthetic ECG of Gaussian waves with known R peaks (and optional PVCs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# (amplitude mV, offset s from R, width s) of the Gaussian waves of a normal and a ventricular beat
NORMAL_WAVES = ((0.15, -0.20, 0.025), (-0.12, -0.03, 0.010), (1.0, 0.0, 0.011),
                (-0.3, 0.03, 0.011), (0.3, 0.28, 0.055))  # fmt: skip
PVC_WAVES = ((1.6, 0.0, 0.035), (-0.6, 0.07, 0.03), (-0.5, 0.33, 0.07))


@dataclass(frozen=True)
class Synthetic:
    ecg_mv: FloatArray
    fs: float
    r_idx: IntArray  # sample of each R (the largest deflection of each beat)


def synthetic_ecg(
    fs: float,
    duration_s: float = 30.0,
    *,
    hr_bpm: float = 70.0,
    seed: int = 0,
    pvc_every: int = 0,
) -> Synthetic:
    """Gaussian-wave ECG with 3 % RR jitter; every ``pvc_every``-th beat a premature PVC."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    t = np.arange(n) / fs
    x = np.zeros(n)
    rr_s, beats, now = 60.0 / hr_bpm, [], 0.6
    k = 0
    while now < duration_s - 0.6:
        is_pvc = pvc_every > 0 and k % pvc_every == pvc_every - 1
        at = now - (0.35 * rr_s if is_pvc else 0.0)
        add_beat(x, t, at, PVC_WAVES if is_pvc else NORMAL_WAVES)
        beats.append(round(at * fs))
        now += rr_s * (1.0 + 0.03 * rng.standard_normal()) + (0.35 * rr_s if is_pvc else 0.0)
        k += 1
    return Synthetic(x, fs, np.asarray(beats, dtype=np.int64))


Waves = tuple[tuple[float, float, float], ...]


def add_beat(x: FloatArray, t: FloatArray, at_s: float, waves: Waves) -> None:
    """Add to ``x`` (sampled at times ``t``) one beat of Gaussian ``waves`` with its R at ``at_s``
    (each wave rendered within six widths of its centre)."""
    for amp, offset, width in waves:
        lo, hi = np.searchsorted(t, [at_s + offset - 6 * width, at_s + offset + 6 * width])
        x[lo:hi] += amp * np.exp(-0.5 * ((t[lo:hi] - at_s - offset) / width) ** 2)
