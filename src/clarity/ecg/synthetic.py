"""Synthetic 12-lead ECG from a moving heart dipole: demo data and load tests, never diagnosis.

The cardiac vector (x to the patient's left, y down, z to the back) is a sum of Gaussian pulses
per wave; each lead is its projection on the lead's direction, so the limb leads obey Einthoven's
and Goldberger's relations exactly (III = II - I, aVR = -(I + II) / 2, ...). Beats follow a
chosen rate with mild sinus variability; ventricular premature beats (wide, no P, opposite T)
can be inserted. Amplitudes are in mV at a realistic scale (R in V5 about 1.5 mV).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clarity.ecg.waveform import STANDARD_LEADS, Waveform

_DEG = np.pi / 180.0
# lead directions (unit vectors, x left, y down, z back): frontal leads by their hexaxial angle,
# chest leads roughly around the chest from right-front (V1) to left-side (V6)
_FRONTAL = {"I": 0.0, "II": 60.0}
_CHEST = {
    "V1": (-0.45, 0.05, -0.89), "V2": (-0.1, 0.1, -0.99), "V3": (0.35, 0.15, -0.92),
    "V4": (0.65, 0.2, -0.73), "V5": (0.88, 0.15, -0.45), "V6": (0.98, 0.1, -0.1),
}  # fmt: skip


@dataclass(frozen=True)
class Wave:
    """One Gaussian pulse of the cardiac vector: offset from the R peak, width, and the vector (mV)."""

    offset_s: float
    width_s: float
    vector_mv: tuple[float, float, float]


SINUS_BEAT = (
    Wave(-0.17, 0.022, (0.08, 0.12, -0.02)),  # P
    Wave(-0.022, 0.008, (-0.05, -0.1, -0.12)),  # Q
    Wave(0.0, 0.011, (0.9, 1.05, 0.45)),  # R
    Wave(0.024, 0.01, (-0.15, -0.2, 0.55)),  # S
    Wave(0.28, 0.055, (0.22, 0.25, -0.1)),  # T
)
VENTRICULAR_BEAT = (
    Wave(-0.01, 0.03, (-0.7, 0.6, -0.9)),
    Wave(0.05, 0.03, (0.4, -0.3, 0.6)),
    Wave(0.33, 0.07, (0.3, -0.35, 0.3)),
)


def synthetic_waveform(
    *, fs: float = 500.0, duration_s: float = 10.0, heart_rate_bpm: float = 72.0,
    pvc_every: int = 0, noise_mv: float = 0.01, seed: int = 0,
) -> Waveform:  # fmt: skip
    """A 12-lead synthetic ECG.

    Parameters
    ----------
    fs : sampling frequency, Hz.
    duration_s : length, s.
    heart_rate_bpm : mean sinus rate; RR varies by about 3 % (respiratory-like).
    pvc_every : make every n-th beat a ventricular premature beat (0: none).
    noise_mv : standard deviation of added white noise, mV.
    seed : random seed (the output is reproducible).
    """
    rng = np.random.default_rng(seed)
    n = round(fs * duration_s)
    t = np.arange(n) / fs
    vector = np.zeros((3, n))
    for number, (r_time_s, ventricular) in enumerate(
        _beat_times(duration_s, heart_rate_bpm, pvc_every, rng)
    ):
        for wave in VENTRICULAR_BEAT if ventricular else SINUS_BEAT:
            pulse = np.exp(-0.5 * ((t - r_time_s - wave.offset_s) / wave.width_s) ** 2)
            scale = 1.0 + 0.03 * np.sin(number)  # small beat-to-beat amplitude change
            vector += scale * np.outer(wave.vector_mv, pulse)
    leads = _project(vector) + rng.normal(0.0, noise_mv, (len(STANDARD_LEADS), n))
    return Waveform(leads.astype(np.float32), fs, STANDARD_LEADS)


def _beat_times(
    duration_s: float, heart_rate_bpm: float, pvc_every: int, rng: np.random.Generator
) -> list[tuple[float, bool]]:
    beats: list[tuple[float, bool]] = []
    rr_s, time_s = 60.0 / heart_rate_bpm, 0.35
    while time_s < duration_s - 0.45:
        ventricular = pvc_every > 0 and len(beats) % pvc_every == pvc_every - 1
        beats.append((time_s - (0.3 * rr_s if ventricular else 0.0), ventricular))
        breathing = 1.0 + 0.03 * np.sin(2 * np.pi * time_s / 4.0)
        time_s += rr_s * breathing * float(rng.uniform(0.99, 1.01)) + (
            0.3 * rr_s if ventricular else 0.0
        )
    return beats


def _project(vector: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lead_i = np.cos(0.0) * vector[0]
    lead_ii = np.cos(_FRONTAL["II"] * _DEG) * vector[0] + np.sin(_FRONTAL["II"] * _DEG) * vector[1]
    limb = [
        lead_i,
        lead_ii,
        lead_ii - lead_i,
        -(lead_i + lead_ii) / 2,
        lead_i - lead_ii / 2,
        lead_ii - lead_i / 2,
    ]
    chest = [np.asarray(direction) @ vector for direction in _CHEST.values()]
    return np.vstack(limb + chest)
