"""Atrial waves between the QRS complexes: synthetic flutter and sinus rhythm, LUDB flutter."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from clarity.ecg.signal import analyze
from clarity.ecg.signal.atrial import atrial_waves
from clarity.ecg.waveform import STANDARD_LEADS, Waveform
from tests.realdata import shared_data

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
FS = 500.0


def _beats(rr_s: float, duration_s: float = 10.0) -> IndexArray:
    return np.rint(np.arange(0.4, duration_s - 0.3, rr_s) * FS).astype(np.int64)


def _qrs(n: int, r_idx: IndexArray) -> FloatArray:
    t = np.arange(n)
    beats = [1.2 * np.exp(-0.5 * ((t - r) / 4.0) ** 2) for r in r_idx]
    return np.asarray(np.sum(beats, axis=0), dtype=np.float64)


def _record(atrial: FloatArray, r_idx: IndexArray, seed: int) -> FloatArray:
    n = atrial.size
    rng = np.random.default_rng(seed)
    gains = np.array([1.0, 0.8, 0.9, -0.6])[:, None]  # II, III, aVF, V1
    return gains * (atrial + _qrs(n, r_idx)) + 0.01 * rng.standard_normal((4, n))


def _bounds(r_idx: IndexArray) -> tuple[IndexArray, IndexArray]:
    return r_idx - 25, r_idx + 25


def test_flutter_waves_are_regular_at_their_rate() -> None:
    n = round(10 * FS)
    t_s = np.arange(n) / FS
    phase = (t_s * 300.0 / 60.0) % 1.0  # 300 F waves a minute, sawtooth
    sawtooth = 0.15 * (np.where(phase < 0.8, -phase / 0.8, (phase - 1.0) / 0.2) + 0.5)
    r_idx = _beats(0.8)  # 4:1 conduction, 75 bpm
    found = atrial_waves(_record(sawtooth, r_idx, 1), FS, r_idx, *_bounds(r_idx))
    assert found is not None
    assert found.rate_per_min == pytest.approx(300.0, abs=8.0)
    assert found.regularity >= 0.6  # the rule asks 0.5


def test_sinus_p_and_t_waves_are_not_regular_atrial_waves() -> None:
    n = round(10 * FS)
    t = np.arange(n)
    r_idx = _beats(0.8)
    waves = np.zeros(n)
    for r in r_idx:
        waves += 0.15 * np.exp(-0.5 * ((t - (r - 80)) / 10.0) ** 2)  # P, 160 ms before R
        waves += 0.3 * np.exp(-0.5 * ((t - (r + 150)) / 25.0) ** 2)  # T
    found = atrial_waves(_record(waves, r_idx, 2), FS, r_idx, *_bounds(r_idx))
    assert found is not None
    assert found.regularity < 0.3


def test_short_records_and_low_rates_give_none() -> None:
    r_idx = _beats(0.8, duration_s=3.0)
    short = np.zeros((4, round(3.0 * FS)))
    assert atrial_waves(short, FS, r_idx, *_bounds(r_idx)) is None
    slow = np.zeros((1, 400))  # 10 s at 40 Hz cannot hold the 3-20 Hz band
    assert atrial_waves(slow, 40.0, np.array([100]), np.array([-1]), np.array([-1])) is None
    flat = np.zeros((4, round(10 * FS)))
    r_idx = _beats(0.8)
    assert atrial_waves(flat, FS, r_idx, *_bounds(r_idx)) is None


@pytest.mark.realdata
@pytest.mark.parametrize(("record", "flutter"), [(52, True), (103, True), (1, False), (38, False)])
def test_ludb_typical_flutter_is_called_atrial_flutter(record: int, flutter: bool) -> None:
    wfdb = pytest.importorskip("wfdb")
    rec = wfdb.rdrecord(str(shared_data("ludb", "data", f"{record}.hea").with_suffix("")))
    result = analyze(Waveform(rec.p_signal.T.astype(np.float32), float(rec.fs), STANDARD_LEADS))
    codes = [s.code for s in result.statements]
    assert ("AFLT" in codes) is flutter, codes
    if flutter:  # typical flutter, 4:1 (record 52) and variable conduction (103)
        rate = result.measurements.atrial_rate_per_min
        assert rate is not None and 240.0 <= rate <= 300.0
