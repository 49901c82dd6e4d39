"""R-peak detection: seeded synthetic ECGs with known beats, bad input, and real records."""

from __future__ import annotations

import importlib

import numpy as np
import numpy.typing as npt
import pytest

import clarity.ecg.signal.peaks as peaks_module
from clarity.ecg.errors import InvalidSignal, SignalTooShort
from clarity.ecg.signal.peaks import RPeaks, detect_r_peaks
from tests.ecg.signal.synthetic_beats import NORMAL_WAVES, synthetic_ecg
from tests.realdata import shared_data

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _score(found: IntArray, truth: IntArray, fs: float, tol_s: float) -> tuple[int, int, float]:
    """(missed beats, extra detections, worst localisation error in s) with one-to-one matching."""
    tol = tol_s * fs
    used = np.zeros(found.size, dtype=bool)
    missed, worst = 0, 0.0
    for r in truth:
        d = np.abs(found - r).astype(np.float64)
        d[used] = np.inf
        j = int(np.argmin(d)) if found.size else -1
        if j < 0 or d[j] > tol:
            missed += 1
        else:
            used[j] = True
            worst = max(worst, float(d[j]) / fs)
    return missed, int(np.count_nonzero(~used)), worst


@pytest.mark.parametrize("fs", [80.0, 128.0, 250.0, 360.0, 500.0, 1000.0])
def test_every_beat_found_and_placed_on_r_at_any_rate(fs: float) -> None:
    ecg = synthetic_ecg(fs, 30.0, seed=1)
    found = detect_r_peaks(ecg.ecg_mv, fs)
    missed, extra, worst = _score(found.indices, ecg.r_idx, fs, 0.05)
    assert (missed, extra) == (0, 0)
    assert worst <= max(2.0 / fs, 0.004)  # on the R apex: within a sample or 4 ms


@pytest.mark.parametrize("method", ["tracking", "threshold"])
def test_methods_agree_on_a_clean_record(method: peaks_module.Method) -> None:
    ecg = synthetic_ecg(360.0, 60.0, seed=2)
    found = detect_r_peaks(ecg.ecg_mv, 360.0, method=method)
    assert found.method == method
    assert _score(found.indices, ecg.r_idx, 360.0, 0.05)[:2] == (0, 0)


@pytest.mark.parametrize("hr_bpm", [35.0, 60.0, 120.0, 180.0, 220.0])
def test_heart_rates_from_bradycardia_to_tachycardia(hr_bpm: float) -> None:
    ecg = synthetic_ecg(250.0, 40.0, hr_bpm=hr_bpm, seed=3)
    found = detect_r_peaks(ecg.ecg_mv, 250.0)
    assert _score(found.indices, ecg.r_idx, 250.0, 0.05)[:2] == (0, 0)


def test_inverted_qrs_is_located_on_its_negative_apex() -> None:
    ecg = synthetic_ecg(500.0, 30.0, seed=4)
    found = detect_r_peaks(-ecg.ecg_mv, 500.0)
    missed, extra, worst = _score(found.indices, ecg.r_idx, 500.0, 0.05)
    assert (missed, extra) == (0, 0)
    assert worst <= 0.004


def test_premature_ventricular_beats_are_detected() -> None:
    ecg = synthetic_ecg(360.0, 60.0, seed=5, pvc_every=4)
    found = detect_r_peaks(ecg.ecg_mv, 360.0)
    assert _score(found.indices, ecg.r_idx, 360.0, 0.05)[:2] == (0, 0)


def test_small_premature_beats_in_a_clean_record_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # wide premature beats 40 % the size of the others, 40 % of the cycle early, each followed
    # by a full cycle (aberrated atrial premature beats): ectopy, not noise, in a clean record
    fs, rr_s = 360.0, 1.2
    base = synthetic_ecg(fs, 40.0, hr_bpm=60.0 / rr_s, seed=12)
    t = np.arange(base.ecg_mv.size) / fs
    x, truth = base.ecg_mv.copy(), list(base.r_idx)
    for r in base.r_idx[4:-2:5]:
        at = r / fs + 0.4 * rr_s
        for amp, offset, width in NORMAL_WAVES[1:4]:
            x += 0.4 * amp * np.exp(-0.5 * ((t - at - offset) / (1.6 * width)) ** 2)
        truth.append(round(at * fs))
    truth_idx = np.sort(np.asarray(truth, dtype=np.int64))
    assert _score(detect_r_peaks(x, fs).indices, truth_idx, fs, 0.05)[:2] == (0, 0)
    # the same beats under the full rhythm cost of noisy stretches are given up
    monkeypatch.setattr(importlib.import_module("clarity.ecg.signal.peaks._tracking"),
                        "PREMATURE_WEIGHT", 1.0)  # fmt: skip
    assert _score(detect_r_peaks(x, fs).indices, truth_idx, fs, 0.05)[0] > 0


def test_paced_beats_with_pacing_spikes() -> None:
    fs = 1000.0
    ecg = synthetic_ecg(fs, 30.0, seed=6)
    x = ecg.ecg_mv.copy()
    x[ecg.r_idx - 60] += 2.5  # 1 ms, 2.5 mV pacemaker spike 60 ms before each QRS
    found = detect_r_peaks(x, fs)
    missed, extra, worst = _score(found.indices, ecg.r_idx, fs, 0.05)
    assert (missed, extra) == (0, 0)
    assert worst <= 0.02


@pytest.mark.parametrize("gain", [0.02, 1.0, 50.0])
def test_amplitude_does_not_matter(gain: float) -> None:
    ecg = synthetic_ecg(360.0, 30.0, seed=7)
    reference = detect_r_peaks(ecg.ecg_mv, 360.0).indices
    np.testing.assert_array_equal(detect_r_peaks(gain * ecg.ecg_mv, 360.0).indices, reference)


def test_baseline_wander_noise_and_mains_are_tolerated() -> None:
    fs = 500.0
    ecg = synthetic_ecg(fs, 60.0, seed=8)
    rng = np.random.default_rng(8)
    t = np.arange(ecg.ecg_mv.size) / fs
    wander = 0.8 * np.sin(2 * np.pi * 0.25 * t) + 0.3 * np.sin(2 * np.pi * 0.07 * t + 1.0)
    mains = 0.1 * np.sin(2 * np.pi * 50.0 * t)
    x = ecg.ecg_mv + wander + mains + 0.05 * rng.standard_normal(t.size)
    found = detect_r_peaks(x, fs)
    missed, extra, worst = _score(found.indices, ecg.r_idx, fs, 0.05)
    assert (missed, extra) == (0, 0)
    assert worst <= 0.01


def test_clipped_qrs_is_placed_in_the_middle_of_the_plateau() -> None:
    ecg = synthetic_ecg(500.0, 30.0, seed=9)
    found = detect_r_peaks(np.clip(ecg.ecg_mv, -0.5, 0.6), 500.0)
    missed, extra, worst = _score(found.indices, ecg.r_idx, 500.0, 0.05)
    assert (missed, extra) == (0, 0)
    assert worst <= 0.004


def test_multi_lead_fusion_survives_a_flat_and_a_noisy_lead() -> None:
    fs = 360.0
    ecg = synthetic_ecg(fs, 60.0, seed=10)
    rng = np.random.default_rng(10)
    noisy = ecg.ecg_mv + 0.8 * rng.standard_normal(ecg.ecg_mv.size)  # beats barely visible
    leads = np.stack([np.zeros_like(ecg.ecg_mv), noisy, 0.4 * ecg.ecg_mv])
    found = detect_r_peaks(leads, fs)
    missed, extra, worst = _score(found.indices, ecg.r_idx, fs, 0.05)
    assert (missed, extra) == (0, 0)
    assert worst <= 0.006
    alone = detect_r_peaks(noisy, fs).indices
    assert sum(_score(alone, ecg.r_idx, fs, 0.05)[:2]) > 0  # the noisy lead alone does fail


def test_a_lead_that_goes_noisy_halfway_is_outweighed() -> None:
    fs = 250.0
    ecg = synthetic_ecg(fs, 60.0, seed=11)
    rng = np.random.default_rng(11)
    bad = ecg.ecg_mv.copy()
    half = bad.size // 2
    bad[half:] += 2.0 * rng.standard_normal(bad.size - half)
    found = detect_r_peaks(np.stack([bad, 0.7 * ecg.ecg_mv]), fs)
    assert _score(found.indices, ecg.r_idx, fs, 0.05)[:2] == (0, 0)


def test_fused_leads_place_every_beat_on_the_same_fiducial_lead() -> None:
    # lead b's dominant deflection is an S wave 30 ms after lead a's R; lead a is a little noisy
    # every other 10 s, so the lead that carries the beats best alternates: the beats must not
    # jump between the two leads' fiducial points (a 30 ms error in two RR intervals each time)
    fs = 360.0
    ecg = synthetic_ecg(fs, 60.0, seed=12)
    rng = np.random.default_rng(12)
    lead_b = -0.9 * np.roll(ecg.ecg_mv, int(0.03 * fs)) + 0.02 * rng.standard_normal(
        ecg.ecg_mv.size
    )
    every_other = (np.arange(ecg.ecg_mv.size) // int(10 * fs)) % 2 == 1
    lead_a = ecg.ecg_mv + np.where(every_other, 0.08, 0.02) * rng.standard_normal(lead_b.size)
    found = detect_r_peaks(np.stack([lead_a, lead_b]), fs).indices
    assert found.size == ecg.r_idx.size
    offset_ms = (found - ecg.r_idx) * 1000.0 / fs
    assert offset_ms.std() < 2.0


@pytest.mark.parametrize("shape", [(2000,), (3, 2000)])
@pytest.mark.parametrize("value", [0.0, 1.7])
def test_constant_signals_have_no_peaks(shape: tuple[int, ...], value: float) -> None:
    found = detect_r_peaks(np.full(shape, value), 500.0)
    assert len(found) == 0
    assert found.indices.dtype == np.int64


def test_result_is_sorted_unique_read_only_and_carries_rr() -> None:
    ecg = synthetic_ecg(250.0, 20.0, seed=12)
    found = detect_r_peaks(ecg.ecg_mv.astype(np.float32).tolist(), 250)
    assert isinstance(found, RPeaks)
    assert found.fs == 250.0
    assert found.indices.dtype == np.int64
    assert np.all(np.diff(found.indices) > 0)
    assert not found.indices.flags.writeable
    np.testing.assert_allclose(found.rr_s, np.diff(found.indices) / 250.0)
    np.testing.assert_allclose(found.times_s, found.indices / 250.0)
    with pytest.raises(InvalidSignal):
        RPeaks(np.array([5, 3]), 250.0)


def test_long_records_are_processed_in_blocks_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ecg = synthetic_ecg(360.0, 600.0, seed=13, pvc_every=7)
    whole = detect_r_peaks(ecg.ecg_mv, 360.0).indices
    monkeypatch.setattr(peaks_module, "_CHUNK_SAMPLES", 40_000)  # blocks of 160 s (the minimum)
    blocked = detect_r_peaks(ecg.ecg_mv, 360.0).indices
    np.testing.assert_array_equal(blocked, whole)
    assert _score(blocked, ecg.r_idx, 360.0, 0.05)[:2] == (0, 0)


@pytest.mark.parametrize(
    ("ecg", "fs", "error"),
    [
        (np.zeros(100), 500.0, SignalTooShort),  # 0.2 s
        (np.zeros(0), 500.0, SignalTooShort),
        (np.zeros((2, 3, 1000)), 500.0, InvalidSignal),
        (np.array([0.0, np.nan] * 1000), 500.0, InvalidSignal),
        (np.array([0.0, np.inf] * 1000), 500.0, InvalidSignal),
        (np.array(["a"] * 1000), 500.0, InvalidSignal),
        (np.zeros(5000), 0.0, InvalidSignal),
        (np.zeros(5000), float("nan"), InvalidSignal),
    ],
)
def test_bad_input_raises_typed_errors(ecg: FloatArray, fs: float, error: type[Exception]) -> None:
    with pytest.raises(error):
        detect_r_peaks(ecg, fs)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(InvalidSignal, match="unknown R-peak method"):
        detect_r_peaks(np.zeros(5000), 500.0, method="magic")  # type: ignore[arg-type]  # the point


# --- real records ---------------------------------------------------------------------------

BEATS = frozenset("NLRAaJSVFejE/fQ")


def _mitdb(name: str, seconds: float | None = None) -> tuple[FloatArray, IntArray, float]:
    """Signals (leads, samples), reference beats outside flutter episodes, fs."""
    wfdb = pytest.importorskip("wfdb")
    path = shared_data("mitdb") / name
    rec = wfdb.rdrecord(str(path))
    ann = wfdb.rdann(str(path), "atr")
    stop = rec.p_signal.shape[0] if seconds is None else int(seconds * rec.fs)
    beats = np.array([s in BEATS for s in ann.symbol])
    truth = ann.sample[beats]
    return rec.p_signal[:stop].T, truth[truth < stop].astype(np.int64), float(rec.fs)


def _flutter_spans(name: str) -> list[tuple[int, int]]:
    """Ventricular flutter episodes (``[`` to ``]``), which EC57 leaves out of QRS scoring."""
    wfdb = pytest.importorskip("wfdb")
    ann = wfdb.rdann(str(shared_data("mitdb") / name), "atr")
    starts = [int(a) for a, s in zip(ann.sample, ann.symbol, strict=True) if s == "["]
    stops = [int(a) for a, s in zip(ann.sample, ann.symbol, strict=True) if s == "]"]
    return list(zip(starts, stops, strict=True))


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["101", "119", "208"])
def test_mitdb_records_first_five_minutes(name: str) -> None:
    signals, truth, fs = _mitdb(name, 300.0)
    found = detect_r_peaks(signals[0], fs).indices
    missed, extra, _ = _score(found, truth, fs, 0.15)
    assert missed <= 0.005 * truth.size + 1
    assert extra <= 0.005 * truth.size + 1


@pytest.mark.realdata
def test_mitdb_aberrated_atrial_premature_beats_are_found() -> None:
    # record 201, 720-800 s: three aberrated atrial premature beats (740, 755, 777 s), small and
    # wide, 0.55 s after a sinus beat and followed by a long cycle
    signals, truth, fs = _mitdb("201", 800.0)
    lo = int(720 * fs)
    found = detect_r_peaks(signals[0, lo:], fs).indices
    assert _score(found, truth[truth >= lo] - lo, fs, 0.15)[:2] == (0, 0)


@pytest.mark.realdata
@pytest.mark.parametrize("fs_new", [80.0, 1000.0])
def test_mitdb_resampled_to_device_and_high_rates(fs_new: float) -> None:
    from scipy.signal import resample_poly

    signals, truth, fs = _mitdb("208", 300.0)  # PVCs, couplets, fusion beats
    up, down = round(fs_new / 40), round(fs / 40)  # 80/360 = 2/9, 1000/360 = 25/9
    x = resample_poly(signals[0], up, down)
    found = detect_r_peaks(x, fs_new).indices
    missed, extra, _ = _score(found, np.round(truth * fs_new / fs).astype(np.int64), fs_new, 0.15)
    assert missed <= 0.005 * truth.size + 1
    assert extra <= 0.005 * truth.size + 1


@pytest.mark.realdata
def test_mitdb_two_leads_fused_match_the_annotations() -> None:
    signals, truth, fs = _mitdb("203", 300.0)  # the hardest DS1 record: noise, multiform PVCs
    missed, extra, _ = _score(detect_r_peaks(signals, fs).indices, truth, fs, 0.15)
    assert missed + extra <= 0.01 * truth.size


@pytest.mark.realdata
@pytest.mark.slow
def test_mitdb_ds1_gross_sensitivity_and_ppv_meet_the_target() -> None:
    names = (
        "101 106 108 109 112 114 115 116 118 119 122 124 201 203 205 207 208 209 215 220 223 230"
    )
    total = missed = extra = 0
    for name in names.split():
        signals, truth, fs = _mitdb(name)
        lead = 1 if name == "114" else 0  # MLII
        found = detect_r_peaks(signals[lead], fs).indices
        for lo, hi in _flutter_spans(name):
            found = found[(found < lo) | (found > hi)]
        m, e, _ = _score(found, truth, fs, 0.15)
        total, missed, extra = total + truth.size, missed + m, extra + e
    sensitivity = (total - missed) / total
    ppv = (total - missed) / (total - missed + extra)
    assert sensitivity >= 0.998
    assert ppv >= 0.998


@pytest.mark.realdata
def test_ludb_lead_ii_and_12_lead_fusion() -> None:
    wfdb = pytest.importorskip("wfdb")
    found_total = missed_total = extra_total = 0
    for name in range(1, 41):
        path = shared_data("ludb", "data") / str(name)
        rec = wfdb.rdrecord(str(path))
        ann = wfdb.rdann(str(path), "ii")
        truth = ann.sample[np.array(ann.symbol) == "N"].astype(np.int64)
        lo, hi = ann.sample.min() - 50, ann.sample.max() + 50  # annotated span only
        for x in (rec.p_signal[:, 1], rec.p_signal.T):
            found = detect_r_peaks(x, rec.fs).indices
            found = found[(found >= lo) & (found <= hi)]
            m, e, _ = _score(found, truth, rec.fs, 0.15)
            found_total, missed_total, extra_total = (
                found_total + truth.size,
                missed_total + m,
                extra_total + e,
            )
    assert missed_total <= 0.005 * found_total
    assert extra_total <= 0.005 * found_total


def test_morphology_match_tells_beats_from_a_noise_spike() -> None:
    morphology = importlib.import_module("clarity.ecg.signal.peaks._morphology")
    syn = synthetic_ecg(360.0, 20.0, pvc_every=5, seed=3)
    x = syn.ecg_mv.copy()
    spike = int(syn.r_idx[3] + 0.45 * (syn.r_idx[4] - syn.r_idx[3]))  # between two beats
    x[spike - 3 : spike + 4] += np.array([0.4, -0.9, 1.2, -1.1, 0.9, -0.5, 0.2])  # jagged burst
    cand = np.sort(np.append(syn.r_idx, spike))
    found = morphology.shapes(x[None, :], x[None, :], np.ones((1, x.size)), cand, syn.fs)
    templates = np.flatnonzero(cand != spike)
    matched = morphology.match(found, templates)
    beats = matched[cand != spike]
    assert np.all(beats >= 0.95), beats  # premature ventricular beats match each other
    assert matched[cand == spike][0] < 0.5
