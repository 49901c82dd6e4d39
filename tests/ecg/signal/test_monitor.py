"""Window-by-window beats of a growing recording: at most three leads, monitoring leads first."""

from __future__ import annotations

import numpy as np

from clarity.ecg.signal.monitor import MAX_LEADS, detect_window_beats
from clarity.ecg.waveform import STANDARD_LEADS
from tests.ecg.signal.synthetic_12lead import Spec, synthesize

FS = 500.0


def _twelve_leads(hr_bpm: float = 72.0) -> np.ndarray:
    waveform, _ = synthesize(Spec(fs=FS, duration_s=16.0, hr_bpm=hr_bpm, seed=3))
    assert waveform.leads == STANDARD_LEADS
    return np.asarray(waveform.samples, dtype=np.float64)


def _beats(samples: np.ndarray, leads: tuple[str, ...]) -> tuple[list[int], bool]:
    found = detect_window_beats(
        samples, FS, leads, segment_start_idx=0, window=(1500, 6500), previous_r_idx=None
    )
    return found.r_idx.tolist(), found.readable


def test_twelve_leads_are_analysed_on_the_monitoring_leads() -> None:
    samples = _twelve_leads()
    twelve, readable = _beats(samples, STANDARD_LEADS)
    rows = [STANDARD_LEADS.index(n) for n in ("II", "V1", "V5")]
    three, _ = _beats(samples[rows], ("II", "V1", "V5"))
    assert readable and twelve == three
    assert len(twelve) in (11, 12, 13)  # 10 s at 72 bpm
    assert MAX_LEADS == 3


def test_other_leads_stand_in_when_the_monitoring_leads_are_unusable() -> None:
    samples = _twelve_leads()
    rng = np.random.default_rng(0)
    for name in ("II", "V1", "V5"):
        samples[STANDARD_LEADS.index(name)] = rng.normal(0.0, 2.0, samples.shape[1])  # noise
    twelve, readable = _beats(samples, STANDARD_LEADS)
    assert readable and len(twelve) in (11, 12, 13)
