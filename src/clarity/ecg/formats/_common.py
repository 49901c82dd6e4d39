"""Shared pieces of the readers and writers: resource limits, units, lead labels, quantisation."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import CorruptFile, InvalidSignal, SignalTooLong
from clarity.ecg.waveform import Float32Array, Waveform, canonical_lead_name, from_leads
from clarity.errors import ClarityError

DEFAULT_GAIN = 1000.0
"""ADC units per mV of the integer formats (WFDB, EDF, DICOM): 1 µV per count, range ±32.767 mV."""

TEXT_DECIMALS = 4
"""Decimals of mV written by the text formats (CSV, JSON): 0.1 µV."""

_INT16_MAX = 32767  # -32768 is left out: WFDB format 16 reserves it for "no sample"


@dataclass(frozen=True)
class Limits:
    """What a reader accepts before refusing with ``SignalTooLong`` (HTTP 413).

    Attributes
    ----------
    max_bytes : size of the file or upload, bytes.
    max_leads : channels in one recording.
    max_samples : samples over all channels (``n_leads * n_samples``); float32 costs 4 bytes each.
    """

    max_bytes: int = 128 * 1024 * 1024
    max_leads: int = 64
    max_samples: int = 50_000_000


DEFAULT_LIMITS = Limits()


def check_bytes(n_bytes: int, limits: Limits, what: str = "file") -> None:
    """Refuse a file larger than ``limits.max_bytes``."""
    if n_bytes > limits.max_bytes:
        raise SignalTooLong(
            f"{what} is {n_bytes / 2**20:.1f} MiB; at most {limits.max_bytes / 2**20:.0f} MiB "
            "is accepted: split the recording"
        )


def check_size(n_leads: int, n_samples: int, limits: Limits) -> None:
    """Refuse absurd channel counts or sample totals before decoding them."""
    if n_leads > limits.max_leads:
        raise SignalTooLong(
            f"the file has {n_leads} channels; at most {limits.max_leads} are accepted"
        )
    if n_leads * n_samples > limits.max_samples:
        raise SignalTooLong(
            f"the file holds {n_leads} x {n_samples} samples; at most {limits.max_samples} "
            "in total are accepted: split the recording"
        )


@contextmanager
def parsing(kind: str) -> Iterator[None]:
    """Turn whatever a third-party parser raises into ``CorruptFile`` naming the format.

    Parsers throw arbitrary exceptions on damaged input; the caller must get a 422 with a reason,
    never a 500. Clarity's own errors pass through unchanged.
    """
    try:
        yield
    except ClarityError:
        raise
    except Exception as exc:  # any parser failure on untrusted bytes is a bad file
        raise CorruptFile(f"could not read this {kind} file: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A private temporary directory for libraries that insist on paths; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="clarity-ecg-") as name:
        yield Path(name)


_VOLT_SCALES_MV = {
    "mv": 1.0, "millivolt": 1.0, "millivolts": 1.0,
    "uv": 1e-3, "microvolt": 1e-3, "microvolts": 1e-3,
    "nv": 1e-6, "nanovolt": 1e-6, "nanovolts": 1e-6,
    "v": 1e3, "volt": 1e3, "volts": 1e3,
}  # fmt: skip


def unit_scale_to_mv(unit: str) -> float | None:
    """Factor that turns values in ``unit`` into mV, or None when ``unit`` is not a voltage.

    Spellings: ``mV``, ``uV``, ``µV``, ``μV``, ``V``, ``nV`` and the words, in any case (ECG files
    never mean megavolts by ``MV``).
    """
    key = unit.strip().replace("µ", "u").replace("μ", "u").lower()
    return _VOLT_SCALES_MV.get(key)


_LABEL_PREFIX = re.compile(r"^(?:ecg|ekg|lead)[\s_:\-]+", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)\s*$")


def lead_from_label(label: str) -> str:
    """Lead name from a channel label: ``ECG II``, ``EKG-V1``, ``Lead I (Einthoven)`` → II, V1, I"""
    text = _PARENTHETICAL.sub("", label.strip())
    text = _LABEL_PREFIX.sub("", text).strip()
    return canonical_lead_name(text or label)


def as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC; naive wall-clock times (EDF, WFDB, DICOM without offset) are taken
    to be UTC, since these formats do not say which zone they were recorded in."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def build_waveform(
    channels: list[tuple[str, Float32Array]], fs: float, start: datetime | None
) -> Waveform:
    """A ``Waveform`` from labelled channels in mV: lead names (``lead_from_label``), standard
    order, finite samples.

    Limb leads III, aVR, aVL, aVF are derived when only I and II are present.
    """
    named: dict[str, Float32Array] = {}
    for label, values in channels:
        name = lead_from_label(label)
        if name in named:
            raise InvalidSignal(f"lead {name} appears twice in the file")
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            raise InvalidSignal(f"lead {name} has {bad} missing or non-finite samples")
        named[name] = values
    return from_leads(named, fs, as_utc(start) if start is not None else None)


def quantise(samples: npt.NDArray[np.floating], gain: float) -> npt.NDArray[np.int16]:
    """Samples in mV as int16 counts at ``gain`` ADC units per mV, refusing values out of range.

    Raises
    ------
    InvalidSignal
        ``gain`` not positive, or a sample beyond ±32767 counts (the message names the largest
        gain that fits).
    """
    if not (np.isfinite(gain) and gain > 0):
        raise InvalidSignal(f"gain must be a positive number of ADC units per mV, got {gain}")
    values = np.asarray(samples, dtype=np.float64)
    peak_mv = float(np.max(np.abs(values))) if values.size else 0.0
    if not np.isfinite(peak_mv):
        raise InvalidSignal("cannot write missing or non-finite samples")
    if peak_mv * gain > _INT16_MAX + 0.5:
        fits = np.floor(_INT16_MAX / peak_mv)
        raise InvalidSignal(
            f"a sample of {peak_mv:.3f} mV exceeds the 16-bit range at gain {gain:g}/mV "
            f"(±{_INT16_MAX / gain:.3f} mV): write with gain <= {fits:g}"
        )
    return np.clip(np.rint(values * gain), -_INT16_MAX, _INT16_MAX).astype(np.int16)
