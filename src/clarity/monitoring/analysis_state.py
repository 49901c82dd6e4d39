"""What the server's analysis remembers about a recording between jobs, and the summary it shows.

The state lives in ``Recording.analysis_state`` (JSON) next to the cursor
``Recording.analyzed_until_idx``; both change together in the transaction that analysed the samples
they describe, so they always agree with the rows that transaction wrote.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from clarity.ecg.signal.episodes import EpisodeKind, TrackerState

STATE_VERSION = 1
GOOD_QUALITY_SHARE = 0.9
FAIR_QUALITY_SHARE = 0.6
_ECTOPY_NAMES = (("PVC", "pvc_count"), ("PAC", "pac_count"))


@dataclass
class AnalysisState:
    """Running totals and carry-over of one recording's analysis (mutated within one step)."""

    last_r_idx: int | None = None
    rr_break: bool = True
    tracker: dict[str, Any] | None = None
    beats: int = 0
    rr_sum_s: float = 0.0
    rr_count: int = 0
    hr_min_bpm: float | None = None
    hr_max_bpm: float | None = None
    windows: int = 0
    poor_windows: int = 0
    open_events: dict[str, str] = field(default_factory=dict)
    alerted: list[str] = field(default_factory=list)
    episodes: dict[str, int] = field(default_factory=dict)
    af_samples: int = 0
    alerts_active: list[str] = field(default_factory=list)
    finished: bool = False
    version: int = STATE_VERSION

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> AnalysisState:
        if not data:
            return cls()
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def tracker_state(self) -> TrackerState | None:
        return TrackerState.from_json(self.tracker) if self.tracker else None

    def add_window_rate(self, heart_rate_bpm: float | None) -> None:
        if heart_rate_bpm is None:
            return
        self.hr_min_bpm = min(self.hr_min_bpm or heart_rate_bpm, heart_rate_bpm)
        self.hr_max_bpm = max(self.hr_max_bpm or heart_rate_bpm, heart_rate_bpm)

    def count_episode(self, kind: EpisodeKind) -> None:
        self.episodes[kind] = self.episodes.get(kind, 0) + 1


def summary(
    state: AnalysisState,
    tracker: TrackerState | None,
    *,
    fs: float,
    analysed_idx: int,
    received_idx: int,
    ongoing_af_samples: int,
) -> dict[str, Any]:
    """The server's summary in the device's ``summary`` shape (seed 002) plus what it adds."""
    decided = tracker.beats_decided if tracker else 0
    pvc = tracker.pvc_count if tracker else 0
    pac = tracker.pac_count if tracker else 0
    duration_s = analysed_idx / fs
    return {
        "duration_seconds": round(duration_s, 3),
        "total_heartbeats": state.beats,
        "average_heart_rate": (
            round(60.0 * state.rr_count / state.rr_sum_s, 1) if state.rr_sum_s > 0 else None
        ),
        "min_heart_rate": _rounded(state.hr_min_bpm),
        "max_heart_rate": _rounded(state.hr_max_bpm),
        "arrhythmias_detected": _arrhythmias(state, pvc, pac),
        "signal_quality": _quality(state),
        "pvc_count": pvc,
        "pac_count": pac,
        "pvc_burden_percent": _percent(pvc, decided),
        "pac_burden_percent": _percent(pac, decided),
        "af_burden_percent": _percent(state.af_samples + ongoing_af_samples, analysed_idx),
        "episodes": dict(sorted(state.episodes.items())),
        "analysed_samples": analysed_idx,
        "unanalysed_samples": max(0, received_idx - analysed_idx),
        "complete": state.finished,
        "method": "clarity.ecg.signal.monitor + episodes",
    }


def _arrhythmias(state: AnalysisState, pvc: int, pac: int) -> list[str]:
    found = sorted(kind for kind, count in state.episodes.items() if count)
    counts = {"pvc_count": pvc, "pac_count": pac}
    return found + [name for name, key in _ECTOPY_NAMES if counts[key]]


def _quality(state: AnalysisState) -> str | None:
    if not state.windows:
        return None
    readable = 1.0 - state.poor_windows / state.windows
    if readable >= GOOD_QUALITY_SHARE:
        return "good"
    return "fair" if readable >= FAIR_QUALITY_SHARE else "poor"


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
