"""Seeded synthetic 12-lead ECGs with known timing, axes and morphology, for the measurement tests.

A frontal-plane heart vector drives the limb leads: a wave with direction ``θ`` and scalar shape
``s(t)`` gives ``s(t)·cos(θ − θ_lead)`` in each limb lead, so Einthoven's and Goldberger's relations
hold exactly and the net-area axis of every wave is known. Precordial leads get fixed per-lead
gains of the same shapes (rS in V1 to qR in V6). Every wave is a raised-cosine bump with compact
support, so onsets and offsets are exact sample indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal.axis import LEAD_ANGLE_DEG
from clarity.ecg.signal.delineate import Delineation
from clarity.ecg.waveform import STANDARD_LEADS, Waveform

FloatArray = npt.NDArray[np.float64]
Conduction = Literal["normal", "rbbb", "lbbb"]

# precordial gains V1..V6 for the R, S (depth), T and P components
_R_GAIN = np.array([0.25, 0.5, 0.9, 1.3, 1.4, 1.1])
_S_GAIN = np.array([1.0, 1.4, 1.1, 0.6, 0.25, 0.15])
_T_GAIN = np.array([0.1, 0.7, 0.9, 0.9, 0.8, 0.6])
_P_GAIN = np.array([0.4, 0.6, 0.7, 0.8, 0.8, 0.7])


@dataclass(frozen=True)
class Spec:
    """What to synthesise (times in ms, amplitudes in mV, angles in degrees)."""

    fs: float = 500.0
    duration_s: float = 10.0
    hr_bpm: float = 60.0
    rr_ms: tuple[float, ...] | None = None  # explicit RR sequence (overrides hr_bpm)
    pr_ms: float = 160.0
    p_ms: float = 100.0
    qrs_ms: float = 90.0
    qt_ms: float = 400.0
    p_axis_deg: float = 50.0
    qrs_axis_deg: float = 60.0
    t_axis_deg: float = 45.0
    p_mv: float = 0.15
    r_mv: float = 1.2
    t_mv: float = 0.35
    voltage_scale: float = 1.0
    p_present: bool = True
    conduction: Conduction = "normal"
    st_mv: dict[str, float] = field(default_factory=dict)  # ST shift at J per lead
    pvc_beats: tuple[int, ...] = ()
    pac_beats: tuple[int, ...] = ()
    noise_uv: float = 5.0
    af_wave_uv: float = 0.0  # fibrillatory baseline (4-8 Hz) amplitude
    seed: int = 0


@dataclass(frozen=True)
class Truth:
    """Exact fiducial points of the synthetic beats and which beats are ectopic."""

    delineation: Delineation
    pvc_beats: tuple[int, ...]
    pac_beats: tuple[int, ...]


def _bump(t_ms: FloatArray, start_ms: float, width_ms: float) -> FloatArray:
    u = (t_ms - start_ms) / width_ms
    inside = (u >= 0) & (u <= 1)
    return np.where(inside, 0.5 * (1 - np.cos(2 * np.pi * np.clip(u, 0, 1))), 0.0)


def _rr_sequence(spec: Spec) -> list[float]:
    if spec.rr_ms is not None:
        return list(spec.rr_ms)
    rr = 60_000.0 / spec.hr_bpm
    out = [rr] * int(spec.duration_s * 1000 / rr + 2)
    for k in spec.pvc_beats:  # premature by 35 %, full compensatory pause
        out[k - 1], out[k] = 0.65 * rr, 1.35 * rr
    for k in spec.pac_beats:  # premature by 30 %, non-compensatory pause
        out[k - 1], out[k] = 0.7 * rr, 1.1 * rr
    return out


def _project(theta_deg: float) -> FloatArray:
    """Gain of a frontal vector of direction ``theta`` in I, II, III, aVR, aVL, aVF."""
    angles = np.array([LEAD_ANGLE_DEG[name] for name in STANDARD_LEADS[:6]])
    return np.cos(np.deg2rad(theta_deg - angles))


def synthesize(spec: Spec) -> tuple[Waveform, Truth]:
    """A 12-lead ECG following ``spec`` and its exact fiducial points."""
    rng = np.random.default_rng(spec.seed)
    n = int(spec.duration_s * spec.fs)
    t_ms: FloatArray = np.arange(n, dtype=np.float64) * (1000.0 / spec.fs)
    x = np.zeros((12, n))
    rows: dict[str, list[int]] = {
        k: [] for k in ("r", "pon", "ppk", "poff", "on", "off", "tpk", "toff")
    }
    onset = max(400.0, spec.pr_ms + 40.0)
    for k, rr in enumerate(_rr_sequence(spec)):
        if onset + spec.qt_ms + 50 > t_ms[-1]:
            break
        _add_beat(x, t_ms, onset, spec, k=k, rows=rows)
        onset += rr
    x = x * spec.voltage_scale + rng.normal(0.0, spec.noise_uv / 1000.0, x.shape).astype(np.float64)
    if spec.af_wave_uv:
        x += _fibrillation(t_ms, spec, rng)
    idx = {key: np.array(v, dtype=np.int64) for key, v in rows.items()}
    delineation = Delineation(
        r_peak=idx["r"], p_onset=idx["pon"], p_peak=idx["ppk"], p_offset=idx["poff"],
        qrs_onset=idx["on"], qrs_offset=idx["off"], t_peak=idx["tpk"], t_offset=idx["toff"],
        fs=spec.fs,
    )  # fmt: skip
    n_beats = idx["r"].size
    pvc = tuple(k for k in spec.pvc_beats if k < n_beats)
    pac = tuple(k for k in spec.pac_beats if k < n_beats)
    return Waveform(x.astype(np.float32), spec.fs, STANDARD_LEADS), Truth(delineation, pvc, pac)


def _add_beat(
    x: FloatArray, t_ms: FloatArray, onset: float, spec: Spec, *, k: int, rows: dict[str, list[int]]
) -> None:
    pvc = k in spec.pvc_beats
    qrs_ms = 160.0 if pvc else spec.qrs_ms + (50.0 if spec.conduction != "normal" else 0.0)
    to_idx = spec.fs / 1000.0
    has_p = spec.p_present and not pvc
    if has_p:
        p_on = onset - spec.pr_ms
        p = spec.p_mv * _bump(t_ms, p_on, spec.p_ms)
        x[:6] += np.outer(_project(spec.p_axis_deg), p)
        x[6:] += np.outer(_P_GAIN, p)
    qrs_axis = spec.qrs_axis_deg + (180.0 if pvc else 0.0)
    r_peak = _add_qrs(x, t_ms, onset, qrs_ms=qrs_ms, axis=qrs_axis, spec=spec, pvc=pvc)
    t_start = onset + qrs_ms
    t_end = onset + spec.qt_ms + (40.0 if pvc else 0.0)
    t_wave = _bump(t_ms, t_start + 0.25 * (t_end - t_start), 0.75 * (t_end - t_start))
    t_dir = (spec.t_axis_deg + 180.0) if pvc else spec.t_axis_deg
    x[:6] += np.outer(_project(t_dir), spec.t_mv * t_wave)
    x[6:] += np.outer(_T_GAIN * (-1 if pvc else 1), spec.t_mv * t_wave)
    _add_st(x, t_ms, t_start, t_end, spec)
    rows["r"].append(round(r_peak * to_idx))
    rows["pon"].append(round((onset - spec.pr_ms) * to_idx) if has_p else -1)
    rows["ppk"].append(round((onset - spec.pr_ms + spec.p_ms / 2) * to_idx) if has_p else -1)
    rows["poff"].append(round((onset - spec.pr_ms + spec.p_ms) * to_idx) if has_p else -1)
    rows["on"].append(round(onset * to_idx))
    rows["off"].append(round((onset + qrs_ms) * to_idx))
    rows["tpk"].append(round((t_start + 0.625 * (t_end - t_start)) * to_idx))
    rows["toff"].append(round(t_end * to_idx))


def _add_qrs(
    x: FloatArray,
    t_ms: FloatArray,
    onset: float,
    *,
    qrs_ms: float,
    axis: float,
    spec: Spec,
    pvc: bool,
) -> float:
    """Q, R and S bumps along ``axis``; bundle branch blocks reshape the precordial complexes.

    RBBB: the normal complex in the first ``spec.qrs_ms`` then a late wave (R' in V1-V2, terminal
    S in I, aVL, V5-V6). LBBB: one broad, late-peaking complex (QS in V1-V3, broad R in V5-V6).
    """
    limb = _project(axis)
    if spec.conduction == "lbbb" and not pvc:
        broad = spec.r_mv * _bump(t_ms, onset, qrs_ms) * _skew(t_ms, onset, qrs_ms)
        x[:6] += np.outer(limb, broad)
        x[6:] += np.outer([-1.0, -1.3, -0.9, 0.5, 1.1, 1.2], broad)
        return onset + 0.6 * qrs_ms
    base_ms = spec.qrs_ms if spec.conduction == "rbbb" and not pvc else qrs_ms
    q = -0.08 * _bump(t_ms, onset, 0.12 * base_ms)
    r = spec.r_mv * _bump(t_ms, onset + 0.1 * base_ms, 0.5 * base_ms)
    s = -0.35 * _bump(t_ms, onset + 0.6 * base_ms, 0.4 * base_ms)
    x[:6] += np.outer(limb, q + r + s)
    x[6:] += np.outer(_R_GAIN, r) + np.outer(_S_GAIN, s * 2.0) + np.outer(_R_GAIN * 0.2, q)
    if spec.conduction == "rbbb" and not pvc:
        late = _bump(t_ms, onset + base_ms - 10.0, qrs_ms - base_ms + 10.0)
        x[:6] += np.outer(-0.3 * np.maximum(limb, 0.2), late)
        x[6:] += np.outer([0.8, 0.5, 0.1, -0.2, -0.3, -0.3], late)
    return onset + 0.35 * base_ms


def _skew(t_ms: FloatArray, onset: float, width_ms: float) -> FloatArray:
    """Ramp from 0.4 to 1.6 across the complex, so the broad R peaks late (LBBB)."""
    return 0.4 + 1.2 * np.clip((t_ms - onset) / width_ms, 0.0, 1.0)


def _add_st(x: FloatArray, t_ms: FloatArray, j_ms: float, t_end: float, spec: Spec) -> None:
    """A shift equal to ``st_mv`` at J, decaying linearly to zero at the end of T."""
    if not spec.st_mv:
        return
    ramp = np.clip((t_end - t_ms) / (t_end - j_ms), 0.0, 1.0) * ((t_ms >= j_ms) & (t_ms <= t_end))
    for lead, shift in spec.st_mv.items():
        x[STANDARD_LEADS.index(lead)] += shift * ramp


def _fibrillation(t_ms: FloatArray, spec: Spec, rng: np.random.Generator) -> FloatArray:
    freq = rng.uniform(5.0, 7.0)
    phase = np.cumsum(1 + 0.1 * rng.standard_normal(t_ms.size)) * (freq * 2 * np.pi / spec.fs)
    wave = spec.af_wave_uv / 1000.0 * np.sin(phase)
    gains = np.concatenate([_project(60.0), [1.0, 0.6, 0.3, 0.2, 0.2, 0.2]])
    return np.outer(gains, wave)


def af_rr_ms(hr_bpm: float, n: int, seed: int) -> tuple[float, ...]:
    """Irregularly irregular RR intervals (ms): independent draws, CV about 0.2."""
    rng = np.random.default_rng(seed)
    mean = 60_000.0 / hr_bpm
    return tuple(np.clip(rng.normal(mean, 0.2 * mean, n), 0.5 * mean, 1.8 * mean).tolist())
