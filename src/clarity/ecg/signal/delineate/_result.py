"""``Delineation``: per-beat fiducial points of P, QRS and T (sample indices, -1 when absent)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

IndexArray = npt.NDArray[np.int64]

ABSENT = -1
POINT_NAMES: tuple[str, ...] = (
    "r_peak", "p_onset", "p_peak", "p_offset", "qrs_onset", "qrs_offset", "t_peak", "t_offset",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Delineation:
    """Fiducial points of every beat, as int64 sample indices into the delineated record.

    Every array has one entry per beat, in the order of the R peaks given to ``delineate``;
    ``-1`` marks a wave that is absent (no P wave in atrial fibrillation, a flat T wave) or that
    could not be measured (a beat too close to the record edge).

    Attributes
    ----------
    r_peak : the beat's QRS fiducial point, as given.
    p_onset, p_peak, p_offset : P wave onset, apex and end.
    qrs_onset, qrs_offset : QRS onset and end (J point).
    t_peak, t_offset : T wave apex and end.
    fs : sampling frequency in Hz.
    leads : per-lead delineations behind a global 12-lead result, in input row order;
        empty for a single-lead delineation.
    """

    r_peak: IndexArray
    p_onset: IndexArray
    p_peak: IndexArray
    p_offset: IndexArray
    qrs_onset: IndexArray
    qrs_offset: IndexArray
    t_peak: IndexArray
    t_offset: IndexArray
    fs: float
    leads: tuple[Delineation, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        n_beats = len(self.r_peak)
        for f in fields(self):
            if f.name in POINT_NAMES:
                value = np.asarray(getattr(self, f.name), dtype=np.int64)
                if value.shape != (n_beats,):
                    raise ValueError(f"{f.name} has shape {value.shape}, expected ({n_beats},)")
                value.setflags(write=False)
                object.__setattr__(self, f.name, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Delineation):
            return NotImplemented
        same_points = all(
            np.array_equal(getattr(self, name), getattr(other, name)) for name in POINT_NAMES
        )
        return same_points and self.fs == other.fs and self.leads == other.leads

    __hash__ = None  # type: ignore[assignment]  # arrays: equal results need not hash alike

    @property
    def n_beats(self) -> int:
        """Number of beats."""
        return len(self.r_peak)

    def point(self, name: str) -> IndexArray:
        """One fiducial array by name (``"qrs_onset"``), for generic consumers."""
        if name not in POINT_NAMES:
            raise KeyError(f"unknown fiducial point {name!r}; one of {', '.join(POINT_NAMES)}")
        value: IndexArray = getattr(self, name)
        return value
