"""``Waveform``: the one currency between the parts of Clarity.

Samples are a float32 array ``(n_leads, n_samples)`` in millivolts, ``fs`` in Hz, lead names in
standard order. Conversions happen at the edges (formats, JSON, images) and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import InvalidSignal

STANDARD_LEADS: tuple[str, ...] = (
    "I",
    "II",
    "III",
    "aVR",
    "aVL",
    "aVF",
    "V1",
    "V2",
    "V3",
    "V4",
    "V5",
    "V6",
)
LIMB_LEADS: tuple[str, ...] = STANDARD_LEADS[:6]
PRECORDIAL_LEADS: tuple[str, ...] = STANDARD_LEADS[6:]

_CANONICAL = {name.upper(): name for name in STANDARD_LEADS}
_ALIASES = {"MLII": "II", "MLI": "I", "MLIII": "III", "AVR": "aVR", "AVL": "aVL", "AVF": "aVF"}

MIN_FS_HZ = 50.0
MAX_FS_HZ = 20_000.0

Float32Array = npt.NDArray[np.float32]


def canonical_lead_name(name: str) -> str:
    """Standard spelling of a lead name (``avr``, ``AVR`` → ``aVR``; ``MLII`` → ``II``).

    Unknown names (``V7``, ``ECG1``) are kept as given, stripped.
    """
    key = name.strip().upper().replace(" ", "")
    if key in _ALIASES:
        return _ALIASES[key]
    return _CANONICAL.get(key, name.strip())


@dataclass(frozen=True)
class Waveform:
    """A multi-lead ECG.

    Attributes
    ----------
    samples : float32 array, shape (n_leads, n_samples), millivolts.
    fs : sampling frequency in Hz.
    leads : lead names, one per row of ``samples``.
    start : acquisition start time (aware UTC) when known.
    """

    samples: Float32Array
    fs: float
    leads: tuple[str, ...]
    start: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        samples = np.asarray(self.samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[np.newaxis, :]
        if samples.ndim != 2:
            raise InvalidSignal(f"samples must be 2-D (leads, samples), got {samples.ndim}-D")
        if samples.shape[0] != len(self.leads):
            raise InvalidSignal(
                f"{samples.shape[0]} rows of samples but {len(self.leads)} lead names"
            )
        if len(set(self.leads)) != len(self.leads):
            raise InvalidSignal(f"duplicate lead names in {list(self.leads)}")
        if not (MIN_FS_HZ <= float(self.fs) <= MAX_FS_HZ):
            raise InvalidSignal(
                f"sampling rate {self.fs} Hz is outside {MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz"
            )
        samples.setflags(write=False)
        object.__setattr__(self, "samples", samples)
        object.__setattr__(self, "fs", float(self.fs))
        object.__setattr__(self, "leads", tuple(self.leads))

    @property
    def n_leads(self) -> int:
        return int(self.samples.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    def lead(self, name: str) -> Float32Array:
        """Samples of one lead (mV), by any accepted spelling of its name."""
        wanted = canonical_lead_name(name)
        if wanted not in self.leads:
            raise InvalidSignal(f"no lead {name!r}; leads are {list(self.leads)}")
        row: Float32Array = self.samples[self.leads.index(wanted)]
        return row

    def has(self, name: str) -> bool:
        return canonical_lead_name(name) in self.leads

    def select(self, names: list[str] | tuple[str, ...]) -> Waveform:
        """A waveform with only ``names``, in that order."""
        rows = [self.lead(n) for n in names]
        return Waveform(
            np.stack(rows), self.fs, tuple(canonical_lead_name(n) for n in names), self.start
        )

    def slice(self, start_idx: int, stop_idx: int) -> Waveform:
        """Samples ``[start_idx, stop_idx)`` of every lead."""
        return Waveform(self.samples[:, start_idx:stop_idx], self.fs, self.leads, self.start)


def from_leads(
    leads: dict[str, list[float]] | dict[str, Float32Array],
    fs: float,
    start: datetime | None = None,
    *,
    derive_limb_leads: bool = True,
) -> Waveform:
    """Build a ``Waveform`` from a lead dict (``{"I": [...], "II": [...]}``, mV).

    Lead names are canonicalised and put in standard order (unknown names last, as given).
    With ``derive_limb_leads`` and only I and II present, III, aVR, aVL and aVF are computed by
    Einthoven's and Goldberger's relations.
    """
    if not leads:
        raise InvalidSignal("no leads given")
    named: dict[str, Float32Array] = {}
    for name, values in leads.items():
        canonical = canonical_lead_name(name)
        if canonical in named:
            raise InvalidSignal(f"lead {name!r} given twice")
        named[canonical] = np.asarray(values, dtype=np.float32)
    lengths = {name: arr.shape for name, arr in named.items()}
    if any(len(shape) != 1 for shape in lengths.values()):
        raise InvalidSignal("each lead must be a flat list of numbers")
    if len({shape[0] for shape in lengths.values()}) != 1:
        detail = ", ".join(f"{n}={s[0]}" for n, s in lengths.items())
        raise InvalidSignal(f"leads have different lengths: {detail}")
    if derive_limb_leads:
        named = _with_derived_limb_leads(named)
    order = [n for n in STANDARD_LEADS if n in named] + [
        n for n in named if n not in _CANONICAL.values()
    ]
    return Waveform(np.stack([named[n] for n in order]), fs, tuple(order), start)


def _with_derived_limb_leads(named: dict[str, Float32Array]) -> dict[str, Float32Array]:
    if "I" not in named or "II" not in named:
        return named
    lead_i, lead_ii = named["I"], named["II"]
    derived = {
        "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2,
        "aVL": lead_i - lead_ii / 2,
        "aVF": lead_ii - lead_i / 2,
    }
    return {**{k: v.astype(np.float32) for k, v in derived.items()}, **named}
