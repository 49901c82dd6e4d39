"""Window-by-window beats of a growing recording: at most three leads, monitoring leads first."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from clarity.ecg.signal.episodes import detect_episodes
from clarity.ecg.signal.monitor import CONTEXT_S, MAX_LEADS, detect_window_beats, plan_windows
from clarity.ecg.signal.p_lock import LOCKED
from clarity.ecg.waveform import STANDARD_LEADS
from tests.ecg.signal.synthetic_12lead import Spec, synthesize
from tests.realdata import shared_data

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


@pytest.mark.realdata
def test_an_irregular_sinus_rhythm_is_not_af_in_live_windows() -> None:
    """MIT-BIH 108 at 1560-1680 s, window by window as the server reads it: its irregular
    sinus rhythm is AF by the RR intervals alone, not once the P waves are seen."""
    path = str(shared_data("mitdb", "108.atr").with_suffix(""))
    fs = 360.0
    record = wfdb.rdrecord(path, sampfrom=round(1560 * fs), sampto=round(1680 * fs))
    x = np.asarray(record.p_signal, dtype=np.float64).T
    context = round(CONTEXT_S * fs)
    r_idx: list[int] = []
    labels: list[str] = []
    locks: list[float] = []
    previous: int | None = None
    for start, stop in plan_windows(0, x.shape[1], fs, final=True):
        low, high = max(0, start - context), min(x.shape[1], stop + context)
        found = detect_window_beats(
            x[:, low:high],
            fs,
            tuple(record.sig_name),
            segment_start_idx=low,
            window=(start, stop),
            previous_r_idx=previous,
        )
        r_idx += found.r_idx.tolist()
        labels += found.labels.tolist()
        locks += found.p_lock.tolist()
        previous = r_idx[-1] if r_idx else previous

    def af(p_lock: list[float] | None) -> int:
        episodes = detect_episodes(np.asarray(r_idx), np.asarray(labels), fs, p_lock=p_lock)
        return sum(e.kind == "atrial_fibrillation" for e in episodes)

    assert af(None) == 1
    assert af(locks) == 0
