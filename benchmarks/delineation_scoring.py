"""LUDB reading and fiducial-point scoring of ECG delineators (Martinez et al. 2004 style).

Each annotated fiducial point (P onset/peak/offset, QRS onset/offset, T peak/offset) is matched
one to one with the detected point of the same kind that is closest to it, closest pairs first,
when they are at most ``tolerance_ms`` apart (150 ms here). A matched pair is a true positive and
gives one error value (detected - annotated, ms); an annotated point left unmatched is a false
negative; a detected point left unmatched is a false positive only when it lies inside the
annotated span of the lead (first to last annotation mark): LUDB annotates only part of each
record, and a detection outside that part cannot be judged.

References
----------
J. P. Martinez, R. Almeida, S. Olmos, A. P. Rocha, P. Laguna, "A wavelet-based ECG delineator:
evaluation on standard databases", IEEE Trans. Biomed. Eng. 51(4):570-581, 2004.
A. I. Kalyakulina et al., "LUDB: a new open-access validation tool for electrocardiogram
delineation algorithms", IEEE Access 8:186181-186190, 2020.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

POINTS: tuple[str, ...] = (
    "p_onset", "p_peak", "p_offset", "qrs_onset", "qrs_offset", "t_peak", "t_offset",
)  # fmt: skip
LUDB_LEADS: tuple[str, ...] = (
    "i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6",
)  # fmt: skip
_WAVE_OF_SYMBOL = {"p": "p", "N": "qrs", "t": "t"}


@dataclass(frozen=True)
class LeadReference:
    """The annotated fiducial points of one lead and the span they cover (sample indices)."""

    points: dict[str, IntArray]
    span: tuple[int, int]


@dataclass(frozen=True)
class LudbRecord:
    """One LUDB record: samples (12, n) in mV, per-lead references and consensus R peaks."""

    record_id: int
    samples: FloatArray
    fs: float
    leads: tuple[LeadReference, ...]
    r_peaks: IntArray
    rhythm: str
    paced: bool = False


def parse_lead_annotation(samples: Sequence[int], symbols: Sequence[str]) -> LeadReference:
    """Turn a LUDB ``(`` peak ``)`` mark sequence into arrays of fiducial points."""
    found: dict[str, list[int]] = {
        f"{wave}_{part}": [] for wave in ("p", "qrs", "t") for part in ("onset", "peak", "offset")
    }
    onset: int | None = None
    wave: str | None = None
    for sample, symbol in zip(samples, symbols, strict=True):
        if symbol == "(":
            onset, wave = int(sample), None
        elif symbol in _WAVE_OF_SYMBOL:
            wave = _WAVE_OF_SYMBOL[symbol]
            found[f"{wave}_peak"].append(int(sample))
            if onset is not None:
                found[f"{wave}_onset"].append(onset)
                onset = None
        elif symbol == ")":
            if wave is not None:
                found[f"{wave}_offset"].append(int(sample))
            onset, wave = None, None
    points = {k: np.unique(np.asarray(v, dtype=np.int64)) for k, v in found.items()}
    span = (int(min(samples)), int(max(samples))) if len(samples) else (0, -1)
    return LeadReference(points=points, span=span)


def consensus_r_peaks(leads: Sequence[LeadReference], fs: float, min_leads: int = 6) -> IntArray:
    """Median across leads of the annotated QRS peaks, one per beat annotated in enough leads."""
    marks = np.sort(np.concatenate([lead.points["qrs_peak"] for lead in leads]))
    if marks.size == 0:
        return np.zeros(0, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(marks) > 0.1 * fs) + 1
    beats = [b for b in np.split(marks, breaks) if b.size >= min_leads]
    return np.asarray([int(np.median(b)) for b in beats], dtype=np.int64)


def _is_pacing(diagnosis: str) -> bool:
    """Whether a LUDB diagnosis line is in its ``Cardiac pacing`` group (``ludb.csv``): the
    pacing lines, and ``P-synchrony`` (atrial-synchronous ventricular pacing, record 72)."""
    text = diagnosis.lower()
    return "pacing" in text or "p-synchrony" in text


def load_ludb(root: Path, record_ids: Iterable[int]) -> list[LudbRecord]:
    """Read LUDB records (WFDB) and their 12 per-lead annotation files."""
    import wfdb  # noqa: PLC0415 - optional dependency of the benchmark only

    records = []
    for rid in record_ids:
        path = str(root / str(rid))
        rec = wfdb.rdrecord(path)
        names = [n.lower() for n in rec.sig_name]
        order = [names.index(lead) for lead in LUDB_LEADS]
        leads = []
        for lead in LUDB_LEADS:
            ann = wfdb.rdann(path, lead)
            leads.append(parse_lead_annotation(ann.sample.tolist(), list(ann.symbol)))
        rhythm = next((c for c in rec.comments if c.startswith("Rhythm")), "Rhythm: ?")
        records.append(
            LudbRecord(
                record_id=rid,
                samples=np.asarray(rec.p_signal[:, order].T, dtype=np.float64),
                fs=float(rec.fs),
                leads=tuple(leads),
                r_peaks=consensus_r_peaks(leads, float(rec.fs)),
                rhythm=rhythm.split(":", 1)[1].strip().rstrip("."),
                paced=any(_is_pacing(c) for c in rec.comments),
            )
        )
    return records


def match_points(
    reference: IntArray, detected: IntArray, tolerance: float
) -> tuple[IntArray, IntArray]:
    """Indices (into ``reference``, ``detected``) of one-to-one matches, closest pairs first."""
    ref = np.asarray(reference, dtype=np.int64)
    det = np.asarray(detected, dtype=np.int64)
    if ref.size == 0 or det.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    diff = np.abs(ref[:, None] - det[None, :])
    ri, di = np.nonzero(diff <= tolerance)
    order = np.argsort(diff[ri, di], kind="stable")
    used_r: set[int] = set()
    used_d: set[int] = set()
    pairs = []
    for k in order:
        r, d = int(ri[k]), int(di[k])
        if r not in used_r and d not in used_d:
            used_r.add(r)
            used_d.add(d)
            pairs.append((r, d))
    if not pairs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    arr = np.asarray(sorted(pairs), dtype=np.int64)
    return arr[:, 0], arr[:, 1]


@dataclass
class PointScore:
    """Running counts and errors (ms) of one fiducial point."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    errors_ms: list[float] = field(default_factory=list)

    def add(
        self,
        reference: IntArray,
        detected: IntArray,
        span: tuple[int, int],
        fs: float,
        tolerance_ms: float,
    ) -> None:
        """Score one lead (or one record) of this point."""
        det = np.asarray(detected, dtype=np.int64)
        det = det[det >= 0]
        ri, di = match_points(reference, det, tolerance_ms * fs / 1000.0)
        unmatched = np.ones(det.size, dtype=bool)
        unmatched[di] = False
        inside = (det >= span[0]) & (det <= span[1])
        self.tp += int(ri.size)
        self.fn += int(np.asarray(reference).size - ri.size)
        self.fp += int(np.count_nonzero(unmatched & inside))
        self.errors_ms.extend(((det[di] - np.asarray(reference)[ri]) * 1000.0 / fs).tolist())

    @property
    def se_pct(self) -> float:
        """Sensitivity TP / (TP + FN) in percent."""
        return 100.0 * self.tp / max(self.tp + self.fn, 1)

    @property
    def ppv_pct(self) -> float:
        """Positive predictive value TP / (TP + FP) in percent."""
        return 100.0 * self.tp / max(self.tp + self.fp, 1)

    @property
    def mean_ms(self) -> float:
        """Mean error (detected - annotated) of the matched points, ms."""
        return float(np.mean(self.errors_ms)) if self.errors_ms else float("nan")

    @property
    def sd_ms(self) -> float:
        """Standard deviation of the error of the matched points, ms."""
        return float(np.std(self.errors_ms)) if self.errors_ms else float("nan")


@dataclass
class Scoreboard:
    """One ``PointScore`` per fiducial point."""

    points: dict[str, PointScore] = field(
        default_factory=lambda: {name: PointScore() for name in POINTS}
    )

    def add_lead(
        self,
        reference: LeadReference,
        detected: dict[str, IntArray],
        fs: float,
        tolerance_ms: float = 150.0,
    ) -> None:
        """Score every point of one lead against that lead's annotations."""
        for name, score in self.points.items():
            score.add(reference.points[name], detected[name], reference.span, fs, tolerance_ms)


def median_reference(record: LudbRecord, point: str, min_leads: int = 6) -> IntArray:
    """Per-beat median across leads of one annotated point (a global, 12-lead reference).

    The marks of all leads are grouped into beats (a gap over 100 ms starts a new group); a
    group annotated in fewer than ``min_leads`` leads is dropped. This mirrors how the CSE
    reference took the median of several readers for a global measurement.
    """
    marks = np.sort(np.concatenate([lead.points[point] for lead in record.leads]))
    if marks.size == 0:
        return np.zeros(0, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(marks) > 0.1 * record.fs) + 1
    groups = [g for g in np.split(marks, breaks) if g.size >= min_leads]
    return np.asarray([int(np.median(g)) for g in groups], dtype=np.int64)


def median_span(record: LudbRecord) -> tuple[int, int]:
    """The annotated span of a record taken over its leads (median start, median end)."""
    starts = [lead.span[0] for lead in record.leads]
    stops = [lead.span[1] for lead in record.leads]
    return int(np.median(starts)), int(np.median(stops))
