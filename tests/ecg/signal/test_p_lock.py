"""P-wave lock: the same wave before every QRS (sinus) against fibrillatory waves (AF)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import wfdb

from clarity.ecg.signal.filters import clean
from clarity.ecg.signal.measure._beats import detect_and_classify
from clarity.ecg.signal.p_lock import LOCKED, p_wave_lock
from tests.ecg.signal import mitdb_rhythm
from tests.ecg.signal.synthetic_beats import NORMAL_WAVES, add_beat
from tests.realdata import shared_data

FS = 360.0
QRST_WAVES = NORMAL_WAVES[1:]  # NORMAL_WAVES[0] is the P wave
FloatArray = npt.NDArray[np.float64]


def irregular_rhythm(
    *, p_wave: bool, f_waves_mv: float, seed: int = 0, duration_s: float = 60.0
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Gaussian-wave beats at independent RR intervals of 0.45-1.1 s (an AF-like ventricular
    response), with or without a P wave 200 ms before each R, plus continuous fibrillatory
    waves (5-7 Hz, wandering phase) of ``f_waves_mv`` amplitude."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * FS)
    t = np.arange(n) / FS
    x = np.zeros(n)
    beats, now = [], 0.8
    while now < duration_s - 0.8:
        add_beat(x, t, now, NORMAL_WAVES if p_wave else QRST_WAVES)
        beats.append(round(now * FS))
        now += rng.uniform(0.45, 1.1)
    rate_hz = 6.0 + np.cumsum(rng.normal(0.0, 0.05, n)).clip(-1.0, 1.0)
    x += f_waves_mv * np.sin(2 * np.pi * np.cumsum(rate_hz) / FS)
    return x, np.asarray(beats, dtype=np.int64)


def median_lock(x: FloatArray, r_idx: npt.NDArray[np.int64]) -> float:
    lock = p_wave_lock(x[None, :], FS, r_idx, np.ones(r_idx.size, dtype=bool))
    return float(np.nanmedian(lock))


def test_p_waves_before_an_irregular_rhythm_are_locked() -> None:
    x, r_idx = irregular_rhythm(p_wave=True, f_waves_mv=0.0)
    x += np.random.default_rng(1).normal(0.0, 0.02, x.size)  # noise at 2/15 of the P wave
    assert median_lock(x, r_idx) > 0.9


def test_fibrillatory_waves_are_not_locked() -> None:
    x, r_idx = irregular_rhythm(p_wave=False, f_waves_mv=0.08)
    assert median_lock(x, r_idx) < 0.3
    # the same with P waves on top of the f waves is locked again
    y, r_y = irregular_rhythm(p_wave=True, f_waves_mv=0.08)
    assert median_lock(y, r_y) > LOCKED


def test_ventricular_beats_and_beats_without_neighbours_are_not_judged() -> None:
    x, r_idx = irregular_rhythm(p_wave=True, f_waves_mv=0.0, duration_s=20.0)
    judged = np.ones(r_idx.size, dtype=bool)
    judged[5] = False
    lock = p_wave_lock(x[None, :], FS, r_idx, judged)
    assert np.isnan(lock[5]) and np.isfinite(lock[6:-1]).all()
    # a beat whose stretch starts before the signal is not judged either
    lock = p_wave_lock(x[None, :], FS, np.array([50, *r_idx[1:]]), np.ones(r_idx.size, bool))
    assert np.isnan(lock[0])
    # too few judged beats around: nothing to compare with
    few = p_wave_lock(x[None, :], FS, r_idx[:4], np.ones(4, dtype=bool))
    assert np.isnan(few).all()
    assert p_wave_lock(x[None, :], FS, np.empty(0, np.int64), np.empty(0, bool)).size == 0
    # no lead, or no beat judged at all (a window of ventricular beats only)
    assert np.isnan(p_wave_lock(x[None, :0], FS, r_idx, np.ones(r_idx.size, bool))).all()
    assert np.isnan(p_wave_lock(np.empty((0, x.size)), FS, r_idx, np.ones(r_idx.size, bool))).all()
    assert np.isnan(p_wave_lock(x[None, :], FS, r_idx, np.zeros(r_idx.size, bool))).all()


def test_leads_are_concatenated_so_a_lead_without_p_waves_does_not_hide_them() -> None:
    with_p, r_idx = irregular_rhythm(p_wave=True, f_waves_mv=0.0)
    flat = np.random.default_rng(2).normal(0.0, 0.005, with_p.size)
    lock = p_wave_lock(np.vstack([with_p, flat]), FS, r_idx, np.ones(r_idx.size, dtype=bool))
    assert float(np.nanmedian(lock)) > 0.9


def _record_lock(record: str, start_s: float, stop_s: float) -> float:
    path = str(shared_data("mitdb", f"{record}.atr").with_suffix(""))
    lo, hi = int(start_s * FS), int(stop_s * FS)
    signal = wfdb.rdrecord(path, sampfrom=lo, sampto=hi).p_signal.T
    beats = mitdb_rhythm.load(record)
    inside = (beats.r_idx >= lo) & (beats.r_idx < hi)
    r_idx, labels = beats.r_idx[inside] - lo, beats.labels[inside]
    lock = p_wave_lock(np.atleast_2d(clean(signal, FS)), FS, r_idx, labels != "V")
    return float(np.nanmedian(lock))


@pytest.mark.realdata
def test_real_atrial_fibrillation_against_an_irregular_sinus_rhythm() -> None:
    """MIT-BIH 201's AF (first 400 s) and 203's against 108's irregular sinus rhythm (1143-1193 s)
    and 201's own sinus rhythm (1088-1141 s), both of which the RR test alone took for AF."""
    assert _record_lock("201", 0.0, 400.0) < 0.2
    assert _record_lock("203", 150.0, 600.0) < 0.2
    assert _record_lock("108", 1143.0, 1193.0) > LOCKED
    assert _record_lock("201", 1088.0, 1141.0) > LOCKED


def _ludb_lock(record: int) -> float:
    """Median lock of a LUDB record's beats on leads II, V1 and V5, as the live path reads them."""
    signal = wfdb.rdrecord(
        str(shared_data("ludb", "data", f"{record}.hea").with_suffix(""))
    ).p_signal
    beats = detect_and_classify(signal.T[[1, 6, 10]], 500.0)
    return float(np.nanmedian(beats.p_lock))


@pytest.mark.realdata
def test_ludb_irregular_sinus_rhythms_lock_and_atrial_fibrillations_do_not() -> None:
    for record in (22, 99, 108, 158):  # sinus arrhythmia, irregular sinus rhythm
        assert _ludb_lock(record) >= LOCKED, record
    for record in (38, 44, 51, 110, 112, 129):  # atrial fibrillation
        assert _ludb_lock(record) < LOCKED, record
