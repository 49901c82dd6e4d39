"""ECG filters: zero phase, baseline and mains removal, band limits, blocks, bad input, real data."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from scipy import signal

import clarity.ecg.signal.filters as filters_module
from clarity.ecg.errors import InvalidSignal, SignalTooShort
from clarity.ecg.signal._design import butter_sos
from clarity.ecg.signal.filters import (
    bandpass,
    clean,
    default_lowpass_hz,
    detect_powerline,
    notch,
    remove_baseline,
)
from tests.realdata import shared_data

FloatArray = npt.NDArray[np.float64]


def beats_mv(
    fs: float, duration_s: float = 20.0, hr_bpm: float = 72.0
) -> tuple[FloatArray, FloatArray]:
    """A clean Gaussian-wave ECG (P, QRS, T) in mV and the R-peak sample indices."""
    t = np.arange(int(duration_s * fs)) / fs
    r_s = np.arange(0.5, duration_s - 0.5, 60.0 / hr_bpm)
    x = np.zeros_like(t)
    for amp, offset_s, width_s in (
        (0.15, -0.2, 0.025),
        (1.0, 0.0, 0.012),
        (-0.25, 0.03, 0.012),
        (0.3, 0.28, 0.06),
    ):
        x += amp * np.exp(-0.5 * ((t[:, None] - r_s[None, :] - offset_s) / width_s) ** 2).sum(
            axis=1
        )
    return x, np.round(r_s * fs)


def line_amplitude(x: FloatArray, fs: float, freq_hz: float) -> float:
    """Amplitude of the ``freq_hz`` component (single-bin DFT over the whole signal)."""
    t = np.arange(x.size) / fs
    return float(2.0 * np.abs(np.mean(x * np.exp(-2j * np.pi * freq_hz * t))))


def r_apices(x: FloatArray, r_idx: FloatArray, fs: float) -> FloatArray:
    half = int(0.05 * fs)
    return np.array(
        [int(r) - half + int(np.argmax(x[int(r) - half : int(r) + half])) for r in r_idx[1:-1]]
    )


@pytest.mark.parametrize("fs", [80.0, 250.0, 500.0, 1000.0])
def test_clean_keeps_r_peaks_in_place_and_their_height(fs: float) -> None:
    ecg, r_idx = beats_mv(fs)
    out = clean(ecg, fs)
    np.testing.assert_array_equal(r_apices(out, r_idx, fs), r_apices(ecg, r_idx, fs))  # zero phase
    heights_in = ecg[r_apices(ecg, r_idx, fs)]
    heights_out = out[r_apices(out, r_idx, fs)]
    # the high-pass takes the mean level away: R height over the baseline stays within 10 %
    assert np.allclose(heights_out - np.median(out), heights_in - np.median(ecg), rtol=0.1)


def test_baseline_wander_is_removed() -> None:
    fs = 360.0
    ecg, _ = beats_mv(fs, 60.0)
    t = np.arange(ecg.size) / fs
    wander = 1.5 * np.sin(2 * np.pi * 0.15 * t) + 0.8 * np.sin(2 * np.pi * 0.05 * t + 1.0) + 3.0
    out = remove_baseline(ecg + wander, fs)
    reference = remove_baseline(ecg, fs)
    inner = slice(int(5 * fs), -int(5 * fs))
    assert np.max(np.abs(out - reference)[inner]) < 0.05  # 5 % of the 1 mV R wave
    assert line_amplitude(out, fs, 0.15) < 0.01 * 1.5


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_mains_is_detected_and_notched(mains_hz: float) -> None:
    fs = 500.0
    ecg, r_idx = beats_mv(fs, 30.0)
    t = np.arange(ecg.size) / fs
    noisy = ecg + 0.2 * np.sin(2 * np.pi * mains_hz * t + 0.3)
    assert detect_powerline(noisy, fs) == mains_hz
    assert detect_powerline(ecg, fs) is None
    out = clean(noisy, fs)
    assert line_amplitude(out, fs, mains_hz) < 0.2 / 100  # at least 40 dB down
    np.testing.assert_array_equal(r_apices(out, r_idx, fs), r_apices(ecg, r_idx, fs))


def test_explicit_mains_frequency_and_notch_helper() -> None:
    fs = 1000.0
    ecg, _ = beats_mv(fs, 10.0)
    t = np.arange(ecg.size) / fs
    noisy = ecg + 0.1 * np.sin(2 * np.pi * 60.0 * t) + 0.05 * np.sin(2 * np.pi * 120.0 * t)
    out = clean(noisy, fs, powerline_hz=60.0)
    assert line_amplitude(out, fs, 60.0) < 1e-3
    assert line_amplitude(out, fs, 120.0) < 1e-3  # harmonic below the 150 Hz edge
    assert line_amplitude(notch(noisy, fs, 60.0), fs, 60.0) < 1e-3
    kept = clean(noisy, fs, powerline_hz=0)  # 0 disables the notch
    assert line_amplitude(kept, fs, 60.0) > 0.09


def test_mains_above_nyquist_is_skipped_at_low_rates() -> None:
    fs = 100.0  # 50 Hz is the Nyquist frequency: nothing to notch, the low-pass handles it
    ecg, _ = beats_mv(fs, 20.0)
    assert detect_powerline(ecg, fs) is None
    out = clean(ecg, fs, powerline_hz=50.0)
    assert out.shape == ecg.shape
    assert np.all(np.isfinite(out))
    assert default_lowpass_hz(fs) == pytest.approx(45.0)
    assert default_lowpass_hz(360.0) == 150.0


def test_bandpass_keeps_the_band_and_rejects_outside() -> None:
    fs = 500.0
    t = np.arange(int(20 * fs)) / fs
    x = np.sin(2 * np.pi * 10 * t) + np.sin(2 * np.pi * 0.2 * t) + np.sin(2 * np.pi * 100 * t)
    out = bandpass(x, fs, 5.0, 20.0)
    assert line_amplitude(out, fs, 10.0) == pytest.approx(1.0, abs=0.05)
    assert line_amplitude(out, fs, 0.2) < 0.01
    assert line_amplitude(out, fs, 100.0) < 0.01


def test_two_dimensional_input_is_filtered_lead_by_lead() -> None:
    fs = 250.0
    ecg, _ = beats_mv(fs)
    leads = np.stack([ecg, -0.5 * ecg + 0.2, np.roll(ecg, 37)])
    out = clean(leads, fs, powerline_hz=50.0)
    assert out.shape == leads.shape
    for row in range(3):
        np.testing.assert_allclose(out[row], clean(leads[row], fs, powerline_hz=50.0), atol=1e-12)


def test_blockwise_filtering_equals_whole_record(monkeypatch: pytest.MonkeyPatch) -> None:
    fs = 360.0
    ecg, _ = beats_mv(fs, 120.0)
    rng = np.random.default_rng(3)
    x = np.stack([ecg + 0.05 * rng.standard_normal(ecg.size), ecg]).astype(np.float32)
    whole = clean(x, fs, powerline_hz=60.0)
    monkeypatch.setattr(filters_module, "_BLOCK_SAMPLES", 5_000)
    blocked = clean(x, fs, powerline_hz=60.0)
    np.testing.assert_allclose(blocked, whole, atol=1e-7)
    assert blocked.dtype == np.float64


def test_matches_a_plain_forward_backward_filter() -> None:
    fs = 500.0
    ecg, _ = beats_mv(fs)
    sos = signal.butter(2, 0.5, btype="highpass", fs=fs, output="sos")
    padlen = filters_module._impulse_length(sos)
    expected = signal.sosfiltfilt(sos, ecg, padlen=min(padlen, ecg.size - 1))
    np.testing.assert_allclose(remove_baseline(ecg, fs), expected, atol=1e-12)


def test_constant_and_integer_input() -> None:
    out = clean(np.full(5000, 7.0), 500.0)
    assert np.max(np.abs(out)) < 1e-6  # a constant is all baseline
    ints = (np.round(beats_mv(500.0)[0] * 200)).astype(np.int16)  # ADC counts
    assert clean(ints, 500.0).dtype == np.float64


def test_very_short_signals_still_filter() -> None:
    assert clean(np.array([1.0, 2.0, 3.0]), 500.0).shape == (3,)
    assert clean(np.array([1.0]), 500.0).shape == (1,)


def test_clipped_signal_stays_finite_and_in_place() -> None:
    fs = 500.0
    ecg, r_idx = beats_mv(fs)
    clipped = np.clip(ecg, -0.2, 0.7)
    out = clean(clipped, fs)
    assert np.all(np.isfinite(out))
    assert np.all(np.abs(r_apices(out, r_idx, fs) - r_idx[1:-1]) <= 0.02 * fs)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: clean(np.zeros(0), 500.0), SignalTooShort),
        (lambda: clean(np.zeros((2, 0)), 500.0), SignalTooShort),
        (lambda: clean(np.zeros((2, 2, 100)), 500.0), InvalidSignal),
        (lambda: clean(np.array([0.0, np.nan, 1.0] * 100), 500.0), InvalidSignal),
        (lambda: clean(np.array(["x"] * 100), 500.0), InvalidSignal),
        (lambda: clean(np.zeros(1000), 10.0), InvalidSignal),
        (lambda: clean(np.zeros(1000), 500.0, lowpass_hz=300.0), InvalidSignal),
        (lambda: bandpass(np.zeros(1000), 500.0, 20.0, 5.0), InvalidSignal),
        (lambda: notch(np.zeros(1000), 100.0, 60.0), InvalidSignal),
        (lambda: remove_baseline(np.zeros(1000), 500.0, cutoff_hz=0.0), InvalidSignal),
    ],
)
def test_bad_input_raises_typed_errors(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()  # type: ignore[operator]  # the parametrised callables


def test_nan_in_a_late_block_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filters_module, "_BLOCK_SAMPLES", 1_000)
    x = np.zeros(10_000)
    x[9_500] = np.inf
    with pytest.raises(InvalidSignal, match="NaN or infinite"):
        clean(x, 500.0, powerline_hz=0)


@pytest.mark.realdata
def test_mitdb_record_mains_and_baseline() -> None:
    wfdb = pytest.importorskip("wfdb")
    path = shared_data("mitdb") / "101"
    rec = wfdb.rdrecord(str(path))
    x = rec.p_signal.T[:, : int(300 * rec.fs)]
    assert detect_powerline(x, rec.fs) == 60.0  # recorded in Boston
    out = clean(x, rec.fs)
    assert out.shape == x.shape
    window = int(2 * rec.fs)
    means = out[0, : out.shape[1] // window * window].reshape(-1, window).mean(axis=1)
    raw_means = x[0, : x.shape[1] // window * window].reshape(-1, window).mean(axis=1)
    assert np.std(means) < 0.5 * np.std(raw_means)  # baseline drift reduced
    assert np.percentile(np.abs(means), 95) < 0.05


def test_filter_designs_are_cached_and_each_caller_gets_its_own_copy() -> None:
    first = butter_sos(2, (5.0, 20.0), "bandpass", 500.0)
    expected = signal.butter(2, [5.0, 20.0], btype="bandpass", fs=500.0, output="sos")
    np.testing.assert_array_equal(first, expected)
    first[:] = 0.0  # a caller that scribbles on its sections does not spoil the cache
    np.testing.assert_array_equal(butter_sos(2, (5.0, 20.0), "bandpass", 500.0), expected)
    np.testing.assert_array_equal(
        butter_sos(4, 40.0, "lowpass", 360.0),
        signal.butter(4, 40.0, btype="lowpass", fs=360.0, output="sos"),
    )
