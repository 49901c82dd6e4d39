"""Runs of flagged beats: the state machine behind every episode kind (private to ``episodes``).

A run opens at a flagged beat, grows with each flagged beat, tolerates up to ``merge_beats``
unflagged beats in between, and is confirmed once it has ``min_beats`` beats spanning at least
``min_samples``. An interval that could not be measured (a stretch of unreadable signal) ends it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

Phase = Literal["onset", "end"]


@dataclass(frozen=True)
class RunRules:
    merge_beats: int
    min_beats: int
    min_samples: int


@dataclass(frozen=True)
class Run:
    """An open run: first and last flagged beat (number, R-peak index), its RR sum, confirmed."""

    start_pos: int
    start_idx: int
    last_pos: int
    last_idx: int
    rr_sum_s: float = 0.0
    rr_count: int = 0
    confirmed: bool = False

    @property
    def n_beats(self) -> int:
        return self.last_pos - self.start_pos + 1

    def to_json(self) -> list[float | int | bool]:
        return [
            self.start_pos,
            self.start_idx,
            self.last_pos,
            self.last_idx,
            self.rr_sum_s,
            self.rr_count,
            self.confirmed,
        ]

    @classmethod
    def from_json(cls, data: list[float | int | bool]) -> Run:
        start_pos, start_idx, last_pos, last_idx, rr_sum, rr_count, confirmed = data
        return cls(
            int(start_pos),
            int(start_idx),
            int(last_pos),
            int(last_idx),
            float(rr_sum),
            int(rr_count),
            bool(confirmed),
        )


def step_run(
    run: Run | None, pos: int, r_idx: int, rr_s: float, *, flagged: bool, rules: RunRules
) -> tuple[Run | None, list[tuple[Phase, Run]]]:
    """The run after beat number ``pos``, and the onset/end it caused."""
    events: list[tuple[Phase, Run]] = []
    if run is not None and (
        math.isnan(rr_s) or (not flagged and pos - run.last_pos > rules.merge_beats)
    ):
        if run.confirmed:
            events.append(("end", close_run(run)))
        run = None
    if not flagged:
        return run, events
    if run is None:
        return _confirm(Run(pos, r_idx, pos, r_idx), rules, events)
    grown = replace(run, last_pos=pos, last_idx=r_idx)
    if not math.isnan(rr_s):
        grown = replace(grown, rr_sum_s=run.rr_sum_s + rr_s, rr_count=run.rr_count + 1)
    return _confirm(grown, rules, events)


def _confirm(
    run: Run, rules: RunRules, events: list[tuple[Phase, Run]]
) -> tuple[Run, list[tuple[Phase, Run]]]:
    if (
        not run.confirmed
        and run.n_beats >= rules.min_beats
        and run.last_idx - run.start_idx >= rules.min_samples
    ):
        run = replace(run, confirmed=True)
        events.append(("onset", run))
    return run, events


def close_run(run: Run) -> Run:
    """The run as it ended (its last flagged beat is its end)."""
    return run
