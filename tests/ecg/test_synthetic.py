"""The synthetic ECG behind the demo data: physiological, reproducible, Einthoven-consistent."""

from __future__ import annotations

import numpy as np

from clarity.ecg.signal import analyze
from clarity.ecg.synthetic import synthetic_waveform


def test_limb_leads_obey_einthoven_and_goldberger() -> None:
    w = synthetic_waveform(duration_s=4, noise_mv=0.0)
    lead_i, lead_ii = w.lead("I").astype(np.float64), w.lead("II").astype(np.float64)
    assert np.allclose(w.lead("III"), lead_ii - lead_i, atol=1e-5)
    assert np.allclose(w.lead("aVR"), -(lead_i + lead_ii) / 2, atol=1e-5)


def test_it_measures_as_a_normal_sinus_ecg_at_the_chosen_rate() -> None:
    result = analyze(synthetic_waveform(duration_s=10, heart_rate_bpm=66))
    assert abs((result.measurements.heart_rate_bpm or 0) - 66) < 3
    assert {"SR", "NORM"} <= {s.code for s in result.statements}


def test_premature_ventricular_beats_are_recognised() -> None:
    result = analyze(synthetic_waveform(duration_s=10, pvc_every=4))
    assert result.measurements.premature_ventricular_count >= 2


def test_same_seed_same_signal() -> None:
    assert np.array_equal(synthetic_waveform(seed=3).samples, synthetic_waveform(seed=3).samples)
