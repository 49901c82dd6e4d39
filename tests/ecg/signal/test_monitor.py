"""Window-by-window beats of a growing recording: at most three leads, monitoring leads first."""

from __future__ import annotations

import numpy as np

from clarity.ecg.signal.monitor import MAX_LEADS, detect_window_beats
from clarity.ecg.signal.p_lock import LOCKED
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


def test_window_beats_carry_their_p_wave_lock() -> None:
    rr_ms = tuple(np.random.default_rng(4).uniform(500.0, 1000.0, 30).tolist())
    medians = []
    for sinus in (True, False):
        spec = Spec(
            fs=FS, duration_s=16.0, rr_ms=rr_ms, p_present=sinus, af_wave_uv=0.0 if sinus else 80.0
        )
        waveform, _ = synthesize(spec)
        samples = np.asarray(waveform.samples, dtype=np.float64)
        found = detect_window_beats(
            samples,
            FS,
            waveform.leads,
            segment_start_idx=0,
            window=(1500, 6500),
            previous_r_idx=None,
        )
        assert found.p_lock.shape == found.r_idx.shape and found.r_idx.size >= 5
        medians.append(float(np.nanmedian(found.p_lock)))
    assert medians[0] > LOCKED > 0.3 > medians[1]
