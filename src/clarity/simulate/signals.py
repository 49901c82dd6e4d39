"""What the virtual devices send: real WFDB records or synthetic ECG, as int16 counts at 1 µV.

A *tape* is a few tens of seconds to minutes of ECG, ``(n_leads, n)`` int16 counts at
``GAIN_COUNTS_PER_MV`` in standard lead order, at the simulation's sampling rate. A few tapes are
made once and every device plays one of them in a loop from its own starting point, so a
thousand devices cost the memory of a handful of tapes and a chunk costs one slice.

Records are resampled (polyphase, ``scipy.signal.resample_poly``) to the target rate and mapped to
the standard leads: a lead the record has is used as is (``MLII`` is lead II); the limb leads
missing from a record with leads I and II (or II and III) are derived by Einthoven's and
Goldberger's relations; any lead still missing repeats the record's closest lead of the same
group (limb or chest), because a load test needs every channel filled with plausible signal.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clarity.ecg.waveform import LIMB_LEADS, STANDARD_LEADS, canonical_lead_name

GAIN_COUNTS_PER_MV = 1000.0  # 1 µV per count: finer than any ECG front end
MAX_RECORDS = 12
RECORD_SECONDS = 300.0
SYNTHETIC_TAPES = 8
Counts = npt.NDArray[np.int16]


class Tape:
    """A device's view of a looping tape: ``read(n)`` returns the next ``n`` samples."""

    def __init__(self, samples: Counts, start_idx: int = 0) -> None:
        self.samples = samples
        self.cursor = start_idx % samples.shape[1]

    def read(self, n: int) -> Counts:
        """The next ``n`` samples of every lead, wrapping round at the end of the tape."""
        total = self.samples.shape[1]
        idx = (self.cursor + np.arange(n)) % total
        self.cursor = (self.cursor + n) % total
        return np.ascontiguousarray(self.samples[:, idx])


def lead_names(n_leads: int) -> tuple[str, ...]:
    """The first ``n_leads`` standard lead names (1-12)."""
    if not 1 <= n_leads <= len(STANDARD_LEADS):
        raise ValueError(f"--leads must be 1-{len(STANDARD_LEADS)}, not {n_leads}")
    return STANDARD_LEADS[:n_leads]


def synthetic_tapes(
    fs: float, n_leads: int, seed: int, count: int = SYNTHETIC_TAPES
) -> list[Counts]:
    """``count`` synthetic 12-lead ECGs (heart rates 55-110 bpm) about a minute long each."""
    rng = np.random.default_rng(seed)
    return [_synthetic(fs, n_leads, float(rng.uniform(55, 110)), rng) for _ in range(count)]


def _synthetic(fs: float, n_leads: int, hr_bpm: float, rng: np.random.Generator) -> Counts:
    """Gaussian P, QRS and T waves per beat, a whole number of beats so the loop is seamless."""
    rr_s = 60.0 / hr_bpm
    n_beats = max(1, round(60.0 / rr_s))
    n = round(n_beats * rr_s * fs)
    t = np.arange(round(rr_s * fs)) / fs
    beat = np.zeros_like(t)
    for offset_s, width_s, amp_mv in ((0.14, 0.025, 0.12), (0.3, 0.012, 1.1), (0.58, 0.05, 0.3)):
        beat += amp_mv * np.exp(-0.5 * ((t - offset_s) / width_s) ** 2)
    base = np.resize(beat, n)
    gains = rng.uniform(0.4, 1.3, n_leads) * np.where(np.arange(n_leads) == 3, -1.0, 1.0)
    millivolts = gains[:, None] * base + rng.normal(0.0, 0.01, (n_leads, n))
    return _counts(millivolts)


def record_tapes(source: Path, fs: float, n_leads: int) -> list[Counts]:
    """Tapes from the WFDB records (``*.hea``) under ``source``, at most ``MAX_RECORDS``."""
    headers = sorted(source.rglob("*.hea"))[:MAX_RECORDS]
    if not headers:
        raise FileNotFoundError(f"no WFDB records (*.hea) under {source}")
    return [_read_record(h.with_suffix(""), fs, n_leads) for h in headers]


def _read_record(path: Path, fs: float, n_leads: int) -> Counts:
    import wfdb  # noqa: PLC0415 - a one-second import (pandas), paid only when records are read
    from scipy.signal import resample_poly  # noqa: PLC0415 - likewise

    header = wfdb.rdheader(str(path))
    stop = min(int(header.sig_len), round(RECORD_SECONDS * header.fs))
    record = wfdb.rdrecord(str(path), sampto=stop, physical=True)
    signals = np.nan_to_num(np.asarray(record.p_signal, dtype=np.float64)).T
    if float(record.fs) != fs:
        ratio = Fraction(fs / float(record.fs)).limit_denominator(1000)
        signals = resample_poly(signals, ratio.numerator, ratio.denominator, axis=1)
    units = [str(u).lower() for u in record.units]
    scale = np.array([1e-3 if u in ("uv", "µv") else 1.0 for u in units])
    named = {
        canonical_lead_name(str(n)): row * s
        for n, row, s in zip(record.sig_name, signals, scale, strict=True)
    }
    return _counts(np.stack([_lead(named, name) for name in lead_names(n_leads)]))


def _lead(named: dict[str, npt.NDArray[np.float64]], name: str) -> npt.NDArray[np.float64]:
    if name in named:
        return named[name]
    limb = _limb_leads(named)
    if name in limb:
        return limb[name]
    group = LIMB_LEADS if name in LIMB_LEADS else STANDARD_LEADS[len(LIMB_LEADS) :]
    for other in (*group, *STANDARD_LEADS):
        if other in named:
            return named[other]
    return next(iter(named.values()))


def _limb_leads(named: dict[str, npt.NDArray[np.float64]]) -> dict[str, npt.NDArray[np.float64]]:
    lead_i, lead_ii = named.get("I"), named.get("II")
    if lead_i is None and lead_ii is not None and "III" in named:
        lead_i = lead_ii - named["III"]
    if lead_i is None or lead_ii is None:
        return {}
    return {
        "I": lead_i,
        "II": lead_ii,
        "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2,
        "aVL": lead_i - lead_ii / 2,
        "aVF": lead_ii - lead_i / 2,
    }


def _counts(millivolts: npt.NDArray[np.float64]) -> Counts:
    counts = np.rint(millivolts * GAIN_COUNTS_PER_MV)
    return np.clip(counts, -32767, 32767).astype(np.int16)
