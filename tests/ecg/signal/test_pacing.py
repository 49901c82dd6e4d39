"""Pacing spike detection and removal on seeded synthetic 12-lead ECGs with known stimuli."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal.pacing import detect_pacing_spikes, remove_pacing_spikes
from tests.ecg.signal.synthetic_12lead import Spec, synthesize

FloatArray = npt.NDArray[np.float64]
# one lead vector for every stimulus: a pacing lead fires the same dipole each time
_SPIKE_VECTOR = np.linspace(-1.0, 1.0, 12) + 0.3


def _ecg_with_stimuli(
    stimuli_ms_before_qrs: float | None, amplitude_mv: float = 4.0
) -> tuple[FloatArray, float, npt.NDArray[np.int64]]:
    waveform, truth = synthesize(Spec(hr_bpm=70, seed=4))
    x = waveform.samples.astype(np.float64)
    onsets = truth.delineation.qrs_onset
    if stimuli_ms_before_qrs is None:
        return x, waveform.fs, np.empty(0, dtype=np.int64)
    at = onsets - round(stimuli_ms_before_qrs * waveform.fs / 1000)
    at = at[(at > 0) & (at < x.shape[1] - 2)]
    for i in at:  # a sub-millisecond pulse, band-limited to two samples, then a small recovery
        x[:, i] += amplitude_mv * _SPIKE_VECTOR
        x[:, i + 1] -= 0.25 * amplitude_mv * _SPIKE_VECTOR
    return x, waveform.fs, at


def test_clean_sinus_rhythm_has_no_spikes() -> None:
    x, fs, _ = _ecg_with_stimuli(None)
    assert detect_pacing_spikes(x, fs).n_spikes == 0


def test_ventricular_stimuli_are_found_at_their_samples() -> None:
    x, fs, at = _ecg_with_stimuli(8.0)
    spikes = detect_pacing_spikes(x, fs)
    assert spikes.n_spikes == at.size
    assert np.all(np.abs(spikes.index - at) <= 1)
    assert np.all(spikes.onset_idx <= spikes.index) and np.all(spikes.end_idx >= spikes.index)


def test_a_single_electrode_pop_is_not_a_stimulus() -> None:
    x, fs, _ = _ecg_with_stimuli(None)
    x[:, 2000] += 4.0 * _SPIKE_VECTOR
    assert detect_pacing_spikes(x, fs).n_spikes == 0


def test_removal_restores_the_signal_around_the_stimuli() -> None:
    clean, fs, _ = _ecg_with_stimuli(None)
    paced, _, at = _ecg_with_stimuli(8.0)
    restored = remove_pacing_spikes(paced, detect_pacing_spikes(paced, fs))
    assert np.max(np.abs(paced - clean)) > 3.0
    assert np.max(np.abs(restored - clean)) < 0.25
    untouched = np.ones(clean.shape[1], dtype=bool)
    for i in at:
        untouched[i - 5 : i + 6] = False
    np.testing.assert_array_equal(restored[:, untouched], paced[:, untouched])
