"""MIT-BIH Arrhythmia Database annotations as test truth: beats (AAMI classes) and rhythm episodes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import wfdb

from tests.realdata import shared_data

FS_HZ = 360.0
_BEATS = set("NLRBAaJSVFejnE/fQ")
_AAMI = {**dict.fromkeys("AaJSje", "S"), **dict.fromkeys("VE", "V")}


@dataclass(frozen=True)
class Annotated:
    r_idx: npt.NDArray[np.int64]
    labels: npt.NDArray[np.str_]
    rhythm: list[tuple[str, int, int]]  # (rhythm, first sample, last sample)
    n_samples: int


def load(record: str) -> Annotated:
    """Beats (N, S, V; F and Q count as N) and rhythm episodes of an MIT-BIH record."""
    path = str(shared_data("mitdb", f"{record}.atr").with_suffix(""))
    ann = wfdb.rdann(path, "atr")
    n_samples = int(wfdb.rdheader(path).sig_len)
    beats = [
        (int(s), _AAMI.get(sym, "N"))
        for s, sym in zip(ann.sample, ann.symbol, strict=True)
        if sym in _BEATS
    ]
    changes = [
        (int(s), aux.strip("\x00"))
        for s, sym, aux in zip(ann.sample, ann.symbol, ann.aux_note, strict=True)
        if sym == "+" and aux.startswith("(")
    ]
    rhythm = [
        (name, start, changes[k + 1][0] if k + 1 < len(changes) else n_samples)
        for k, (start, name) in enumerate(changes)
    ]
    return Annotated(
        np.array([b[0] for b in beats], dtype=np.int64),
        np.array([b[1] for b in beats], dtype=str),
        rhythm,
        n_samples,
    )


def reference_episodes(annotated: Annotated, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans annotated with any of ``names`` (adjacent spans merged)."""
    spans: list[tuple[int, int]] = []
    for name, start, stop in annotated.rhythm:
        if name not in names:
            continue
        if spans and spans[-1][1] >= start:
            spans[-1] = (spans[-1][0], stop)
        else:
            spans.append((start, stop))
    return spans


@dataclass(frozen=True)
class EpisodeScore:
    """Episode sensitivity (reference episodes overlapped by a detection) and PPV (detections
    overlapping a reference episode), and duration sensitivity/PPV (ANSI/AAMI EC57 style)."""

    reference: int
    detected: int
    sensitivity: float | None
    ppv: float | None
    duration_sensitivity: float | None
    duration_ppv: float | None


def score(reference: list[tuple[int, int]], detected: list[tuple[int, int]]) -> EpisodeScore:
    def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return a[0] <= b[1] and b[0] <= a[1]

    hit = sum(any(overlaps(r, d) for d in detected) for r in reference)
    true = sum(any(overlaps(d, r) for r in reference) for d in detected)
    both = sum(max(0, min(r[1], d[1]) - max(r[0], d[0])) for r in reference for d in detected)
    ref_len = sum(b - a for a, b in reference)
    det_len = sum(b - a for a, b in detected)
    return EpisodeScore(
        len(reference),
        len(detected),
        hit / len(reference) if reference else None,
        true / len(detected) if detected else None,
        both / ref_len if ref_len else None,
        both / det_len if det_len else None,
    )
