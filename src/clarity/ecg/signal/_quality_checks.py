"""The seven per-lead checks behind :func:`clarity.ecg.signal.quality.assess_quality`.

All checks work on the whole ``(n_leads, n_samples)`` array at once; the band-limited views they
need come from one FFT of the linearly detrended signal (zero-phase brick-wall masks, and for the
QRS band the squared response of the R-peak detector's Butterworth filter, which does not ring
around the complexes), so the cost is a few FFTs whatever the number of leads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.fft as sfft
from scipy import signal
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from clarity.ecg.signal._design import qrs_band_sos
from clarity.ecg.signal.validate import FloatArray

IssueKind = Literal[
    "lead_off",
    "flat_line",
    "saturation",
    "noise",
    "baseline_wander",
    "powerline",
    "low_qrs_contrast",
]
Severity = Literal["mild", "marked", "unusable"]
BoolArray = npt.NDArray[np.bool_]
_Item = TypeVar("_Item", bound=np.generic)
ComplexArray = npt.NDArray[np.complex128]

FLAT_PTP_MV = 0.05
FLAT_WINDOW_S = 2.0
LEAD_OFF_RUN_S = 1.0
CLIP_PLATEAU_S = 0.006  # a real R peak never stays within one ADC step this long
CLIP_SINGLE_S = 0.02  # one plateau alone counts from this length on
MAX_PTP_MV = 10.0
NOISE_BAND_HZ = (20.0, 150.0)  # above P/T content, where muscle noise lives
NOISE_WINDOW_S = 0.2
NOISE_LIMITS_UV = (20.0, 40.0, 100.0)  # mild, marked, unusable (RMS)
_MIN_QUIET_WINDOWS = 3
WANDER_CUTOFF_HZ = 0.5
WANDER_LIMITS_MV = (0.6, 1.5)  # mild, marked (peak-to-peak)
POWERLINE_LIMITS_UV = (20.0, 150.0)  # mild, marked (sinusoid amplitude)
MAINS_HZ = (50.0, 60.0)
ENVELOPE_S = 0.1  # moving RMS of the QRS-band slope, as the R-peak detector's envelope
QRS_PEAK_FRACTION = 0.4  # the envelope above this fraction of the QRS level is a complex
CONTRAST_WINDOW_S = 2.5
# QRS level over the background between complexes below which a lead is mildly noisy in the QRS
# band, and the QRS-band level (median RMS over 200 ms) it must also exceed (a nearly isoelectric
# QRS in a clean lead has a low contrast too): chosen on the even MIT-BIH DS1 records with NSTDB
# noise, checked on the odd ones (bench_quality.py). Never more than mild: atrial fibrillation
# and flutter waves lie in the same band (a "marked" level below 7 made MIT-BIH AF windows poor,
# which stops their interpretation: AF Se 94.5 -> 89.1 % in bench_interpretation.py).
QRS_CONTRAST_LIMIT = 10.0
QRS_BAND_FLOOR_UV = 40.0


@dataclass(frozen=True)
class Issue:
    """One problem in one lead: what, how bad, the measured value and the reason in words."""

    kind: IssueKind
    severity: Severity
    value: float
    unit: str
    reason: str


@dataclass(frozen=True)
class Metrics:
    """Per-check, per-lead issues (None when the check passed) and the raw measured values."""

    issues: list[list[Issue | None]]
    noise_uv: FloatArray
    wander_mv: FloatArray
    powerline_uv: FloatArray


@dataclass(frozen=True)
class _Views:
    fs: float
    x: FloatArray
    band: FloatArray  # 1-40 Hz
    hf: FloatArray  # noise band without mains harmonics
    qrs: FloatArray  # 5-20 Hz QRS band
    baseline: FloatArray  # below WANDER_CUTOFF_HZ


def measure_all(x: FloatArray, fs: float) -> Metrics:
    """Run every check on ``x`` (n_leads, n_samples), mV, sampled at ``fs`` Hz."""
    views, spectrum = _views(x, fs)
    complexes = _complexes(views)
    noise = _noise_floor_uv(views, complexes)
    wander = np.ptp(views.baseline, axis=1)
    mains = _powerline_uv(spectrum, x.shape[1], fs)
    lead_off = _lead_off(views)
    off = [issue is not None for issue in lead_off]
    flat = _flat_line(views, off)
    silent = [is_off or issue is not None for is_off, issue in zip(off, flat, strict=True)]
    issues = [
        lead_off,
        flat,
        _saturation(views),
        _graded(
            noise, limits=NOISE_LIMITS_UV, kind="noise", unit="µV", words=_noise_words, off=off
        ),
        _graded(
            wander,
            limits=WANDER_LIMITS_MV,
            kind="baseline_wander",
            unit="mV",
            words=_wander_words,
            off=off,
        ),
        _graded(
            mains,
            limits=POWERLINE_LIMITS_UV,
            kind="powerline",
            unit="µV",
            words=_mains_words,
            off=off,
        ),
        _low_contrast(views, complexes, silent),
    ]
    return Metrics(issues, noise, wander, mains)


def _views(x: FloatArray, fs: float) -> tuple[_Views, ComplexArray]:
    """Band-limited views of ``x`` from one FFT of its linearly detrended samples.

    The baseline view is synthesised at a low rate (≥ 4 Hz) from the first bins only, which is all
    that content below 0.5 Hz needs.
    """
    n = x.shape[1]
    edge = max(1, min(n // 4, int(0.2 * fs)))
    start, stop = x[:, :edge].mean(axis=1), x[:, -edge:].mean(axis=1)
    ramp = np.linspace(0.0, 1.0, n)
    spectrum = sfft.rfft(x - (start[:, None] + (stop - start)[:, None] * ramp[None, :]), axis=1)
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    hf_mask = (freqs >= NOISE_BAND_HZ[0]) & (freqs <= min(NOISE_BAND_HZ[1], 0.9 * fs / 2))
    for mains in MAINS_HZ:
        for harmonic in mains * np.arange(1, 4):
            hf_mask &= np.abs(freqs - harmonic) > 1.5
    band = sfft.irfft(spectrum * ((freqs >= 1.0) & (freqs <= 40.0)), n=n, axis=1)
    hf = sfft.irfft(spectrum * hf_mask, n=n, axis=1)
    # the detector's QRS band (second-order Butterworth, forward and backward: the squared
    # magnitude response), not a brick wall, which would ring around every QRS
    response = np.abs(signal.sosfreqz(qrs_band_sos(fs), worN=freqs, fs=fs)[1]) ** 2
    qrs = sfft.irfft(spectrum * response, n=n, axis=1)
    n_low = min(n, 2 * int(np.ceil(2.0 * n / fs)) + 2)
    low = spectrum[:, : n_low // 2 + 1] * (freqs[: n_low // 2 + 1] <= WANDER_CUTOFF_HZ)
    baseline = sfft.irfft(low, n=n_low, axis=1) * (n_low / n)
    low_ramp = np.linspace(0.0, 1.0, n_low)
    baseline += start[:, None] + (stop - start)[:, None] * low_ramp[None, :]
    return _Views(fs, x, band, hf, qrs, baseline), spectrum


def _runs(mask: BoolArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start indices and lengths of the runs of True in a 1-D mask."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def _has_run(mask: BoolArray, length: int) -> npt.NDArray[np.bool_]:
    """Per row of a 2-D mask: is there a run of at least ``length`` True values?"""
    if mask.shape[1] < length:
        return np.zeros(mask.shape[0], dtype=bool)
    counts = np.cumsum(mask, axis=1, dtype=np.int32)
    counts = np.concatenate([np.zeros((mask.shape[0], 1), dtype=np.int32), counts], axis=1)
    return np.asarray(((counts[:, length:] - counts[:, :-length]) == length).any(axis=1))


def _lead_off(v: _Views) -> list[Issue | None]:
    min_run = max(1, int(LEAD_OFF_RUN_S * v.fs))
    duration_s = v.x.shape[1] / v.fs
    same = np.diff(v.x, axis=1) == 0
    suspects = _has_run(same, min_run - 1) if min_run > 1 else np.ones(v.x.shape[0], dtype=bool)
    out: list[Issue | None] = []
    for row, suspect in zip(same, suspects.tolist(), strict=True):
        if not suspect:
            out.append(None)
            continue
        _, lengths = _runs(row)
        samples = lengths[lengths >= min_run - 1] + 1
        constant_s = float(samples.sum()) / v.fs
        severity: Severity = "unusable" if constant_s >= 0.5 * duration_s else "marked"
        words = "lead off" if severity == "unusable" else "intermittent lead off"
        reason = f"{words}: constant value for {constant_s:.1f} s of {duration_s:.1f} s"
        out.append(Issue("lead_off", severity, round(constant_s, 2), "s", reason))
    return out


def _flat_line(v: _Views, off: list[bool]) -> list[Issue | None]:
    window = min(v.band.shape[1], int(FLAT_WINDOW_S * v.fs))
    n_windows = v.band.shape[1] // window
    blocks = v.band[:, : n_windows * window].reshape(v.band.shape[0], n_windows, window)
    flat_fraction = (np.ptp(blocks, axis=2) < FLAT_PTP_MV).mean(axis=1)
    out: list[Issue | None] = []
    for fraction, is_off in zip(flat_fraction.tolist(), off, strict=True):
        if is_off or fraction < 0.25:
            out.append(None)
            continue
        severity: Severity = "unusable" if fraction >= 0.75 else "marked"
        limit_uv = FLAT_PTP_MV * 1000
        reason = f"flat line: no activity above {limit_uv:.0f} µV in {fraction:.0%} of the record"
        out.append(Issue("flat_line", severity, round(fraction, 3), "fraction", reason))
    return out


def _saturation(v: _Views) -> list[Issue | None]:
    min_run = max(3, int(np.ceil(CLIP_PLATEAU_S * v.fs)))
    at_high = v.x == v.x.max(axis=1, keepdims=True)
    at_low = v.x == v.x.min(axis=1, keepdims=True)
    suspects = (at_high.sum(axis=1) >= min_run) | (at_low.sum(axis=1) >= min_run)
    ptps = np.ptp(v.band, axis=1)
    out: list[Issue | None] = []
    for lead, ptp, suspect in zip(v.x, ptps.tolist(), suspects.tolist(), strict=True):
        clipped, plateaus, longest = _clipped_samples(lead, min_run) if suspect else (0, 0, 0)
        fraction = clipped / lead.size
        if plateaus >= 2 or longest >= CLIP_SINGLE_S * v.fs:
            out.append(_clip_issue(fraction, plateaus))
        elif ptp > MAX_PTP_MV:
            reason = f"saturation or artefact: {ptp:.1f} mV peak-to-peak (> {MAX_PTP_MV:g} mV)"
            out.append(Issue("saturation", "marked", round(ptp, 2), "mV", reason))
        else:
            out.append(None)
    return out


def _clip_issue(fraction: float, plateaus: int) -> Issue:
    severity: Severity = "mild"
    if fraction >= 0.05:
        severity = "unusable"
    elif fraction >= 0.005 or plateaus >= 3:
        severity = "marked"
    reason = f"saturation: {plateaus} clipped plateau(s), {fraction:.1%} of samples at the limits"
    return Issue("saturation", severity, round(fraction, 4), "fraction", reason)


def _clipped_samples(lead: FloatArray, min_run: int) -> tuple[int, int, int]:
    """Samples in, number of, and longest plateau of identical values at the lead's extremes."""
    centre = float(np.median(lead))
    low, high = float(lead.min()), float(lead.max())
    total, count, longest = 0, 0, 0
    for extreme in (low, high):
        if high == low or abs(extreme - centre) < 0.3 * (high - low):
            continue  # the extreme is the baseline itself, not a rail
        _, lengths = _runs(lead == extreme)
        long_runs = lengths[lengths >= min_run]
        total, count = total + int(long_runs.sum()), count + int(long_runs.size)
        longest = max(longest, int(long_runs.max(initial=0)))
    return total, count, longest


def _blocks(a: npt.NDArray[_Item], fs: float) -> npt.NDArray[_Item]:
    """``a`` (leads, n) cut into consecutive ``NOISE_WINDOW_S`` windows: (leads, windows, window)."""
    window = max(1, int(NOISE_WINDOW_S * fs))
    n_windows = max(1, a.shape[1] // window)
    return a[:, : n_windows * window].reshape(a.shape[0], n_windows, -1)


def _window_rms(view: FloatArray, fs: float) -> FloatArray:
    """RMS of each lead of ``view`` over consecutive ``NOISE_WINDOW_S`` windows: (leads, windows)."""
    rms: FloatArray = np.sqrt(np.mean(_blocks(view, fs) ** 2, axis=2))
    return rms


@dataclass(frozen=True)
class _Complexes:
    """Where the QRS complexes are in each lead, from its QRS-band slope envelope.

    The envelope (a 100 ms moving RMS) is read every ``step`` samples (100 Hz) and cut into
    ``CONTRAST_WINDOW_S`` windows, (leads, windows, span); ``level`` is each window's QRS level
    (98th percentile) and ``near`` marks the envelope samples within half ``ENVELOPE_S`` of where
    it exceeds ``QRS_PEAK_FRACTION`` of that level.
    """

    step: int
    windows: FloatArray
    level: FloatArray
    near: BoolArray


def _complexes(v: _Views) -> _Complexes:
    slope = np.abs(np.gradient(v.qrs, axis=1)) * v.fs
    width = max(1, round(ENVELOPE_S * v.fs))
    step = max(1, int(v.fs / 100.0))
    envelope = np.sqrt(np.maximum(uniform_filter1d(slope * slope, width, axis=1), 0.0))[:, ::step]
    n_leads, n = envelope.shape
    span = min(n, max(1, int(CONTRAST_WINDOW_S * v.fs / step)))
    windows = envelope[:, : n // span * span].reshape(n_leads, n // span, span)
    level = np.quantile(windows, 0.98, axis=2, keepdims=True)
    near = maximum_filter1d(windows > QRS_PEAK_FRACTION * level, (width // step) + 1, axis=2)
    return _Complexes(step, windows, level, near)


def _noise_floor_uv(v: _Views, c: _Complexes) -> FloatArray:
    """The 20th percentile of the 20-150 Hz RMS over ``NOISE_WINDOW_S`` windows, counting only
    the samples between the QRS complexes (whose own high-frequency content is not noise: at
    fast rates most windows hold a piece of one) and only windows at least half made of them;
    a lead with fewer than ``_MIN_QUIET_WINDOWS`` such windows falls back on all its windows."""
    quiet = np.repeat(~c.near.reshape(v.hf.shape[0], -1), c.step, axis=1)
    span = min(quiet.shape[1], v.hf.shape[1])
    power = _blocks(v.hf[:, :span] ** 2, v.fs)
    counted = _blocks(quiet[:, :span], v.fs)
    count = counted.sum(axis=2)
    valid = count >= counted.shape[2] / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt((power * counted).sum(axis=2) / count)
    enough = valid.sum(axis=1) >= _MIN_QUIET_WINDOWS
    all_windows = np.percentile(_window_rms(v.hf, v.fs), 20, axis=1)
    floor = np.where(enough, _percentile_of_valid(rms, valid, 20.0), all_windows)
    return np.asarray(floor * 1000.0, dtype=np.float64)


def _percentile_of_valid(values: FloatArray, valid: BoolArray, q: float) -> FloatArray:
    """Per row, the ``q``-th percentile (linear, as ``np.percentile``) of its valid values; NaN
    for a row without any (``np.nanpercentile`` does the same at a millisecond per call)."""
    ordered = np.sort(np.where(valid, values, np.inf), axis=1)
    count = valid.sum(axis=1)
    position = q / 100.0 * np.maximum(count - 1, 0)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    rows = np.arange(values.shape[0])
    with np.errstate(invalid="ignore"):
        out = ordered[rows, lo] + (position - lo) * (ordered[rows, hi] - ordered[rows, lo])
    return np.where(count > 0, out, np.nan)


def qrs_contrast(v: _Views, c: _Complexes) -> tuple[FloatArray, FloatArray]:
    """Per lead: how far the QRS complexes stand above the rest of the QRS band, and the QRS-band
    level in µV (median RMS over ``NOISE_WINDOW_S``).

    The contrast is the QRS level of the slope envelope (its 98th percentile) over the envelope's
    median between the complexes (``_Complexes``), in ``CONTRAST_WINDOW_S`` windows, of which
    the lower quartile is kept: a burst of artefact louder than the QRS complexes takes over the
    98th percentile of its windows and leaves them with a low contrast. About 2 for noise alone,
    10 to 100 in a readable ECG at any heart rate.
    """
    windows, level, near = c.windows, c.level, c.near
    span = windows.shape[2]
    enough = (~near).sum(axis=2, keepdims=True) >= 0.1 * span
    between = np.where(near & enough, np.nan, windows)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = level[..., 0] / np.nanmedian(between, axis=2)
    ratio = np.where(level[..., 0] > 0.0, ratio, 0.0)
    contrast = np.percentile(ratio, 25, axis=1)
    level_uv = np.median(_window_rms(v.qrs, v.fs), axis=1) * 1000.0
    return np.asarray(contrast, dtype=np.float64), np.asarray(level_uv, dtype=np.float64)


def _low_contrast(v: _Views, c: _Complexes, silent: list[bool]) -> list[Issue | None]:
    """Leads whose QRS complexes stand out too little from what lies between them in the QRS band
    (not for leads that are off or flat: no QRS is there to stand out)."""
    contrast, level_uv = qrs_contrast(v, c)
    out: list[Issue | None] = []
    for value, level, is_silent in zip(contrast.tolist(), level_uv.tolist(), silent, strict=True):
        if is_silent or value >= QRS_CONTRAST_LIMIT or level <= QRS_BAND_FLOOR_UV:
            out.append(None)
            continue
        reason = (
            f"QRS complexes only {value:.1f} times above the signal between them in the 5-20 Hz "
            "band (motion artefact, noise, or large flutter or fibrillation waves)"
        )
        out.append(Issue("low_qrs_contrast", "mild", round(value, 2), "ratio", reason))
    return out


def _powerline_uv(spectrum: ComplexArray, n: int, fs: float) -> FloatArray:
    """Amplitude (µV) of the strongest mains sinusoid above the neighbouring spectrum.

    The power of the bins within ±0.5 Hz of 50 or 60 Hz (which hold the sinusoid and its
    leakage) minus the same number of bins at the median power of the neighbourhood (1.5-6 Hz
    away) gives the sinusoid's power, so its amplitude is ``2·sqrt(P)/n``.
    """
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    power = np.abs(spectrum) ** 2
    best = np.zeros(spectrum.shape[0])
    for mains in MAINS_HZ:
        if mains + 6.0 > fs / 2:
            continue
        peak_bins = np.abs(freqs - mains) <= 0.5
        near = (np.abs(freqs - mains) <= 6.0) & (np.abs(freqs - mains) > 1.5)
        background = np.median(power[:, near], axis=1) * peak_bins.sum()
        excess = power[:, peak_bins].sum(axis=1) - background
        best = np.maximum(best, 2.0 * np.sqrt(np.clip(excess, 0.0, None)) / n)
    return best * 1000.0


def _graded(
    values: FloatArray,
    *,
    limits: tuple[float, ...],
    kind: IssueKind,
    unit: str,
    words: Callable[[float], str],
    off: list[bool],
) -> list[Issue | None]:
    severities: tuple[Severity, ...] = ("mild", "marked", "unusable")
    out: list[Issue | None] = []
    for value, is_off in zip(values.tolist(), off, strict=True):
        level = int(np.searchsorted(limits, value, side="right"))
        if is_off or level == 0:
            out.append(None)
            continue
        out.append(Issue(kind, severities[level - 1], round(value, 3), unit, words(value)))
    return out


def _noise_words(value: float) -> str:
    lo, hi = NOISE_BAND_HZ
    limit = NOISE_LIMITS_UV[0]
    return f"high-frequency noise {value:.0f} µV RMS at {lo:g}-{hi:g} Hz (limit {limit:g} µV)"


def _wander_words(value: float) -> str:
    limit = WANDER_LIMITS_MV[0]
    return f"baseline wander {value:.2f} mV peak-to-peak (limit {limit:g} mV)"


def _mains_words(value: float) -> str:
    limit = POWERLINE_LIMITS_UV[0]
    return f"powerline interference {value:.0f} µV at 50/60 Hz (limit {limit:g} µV)"
