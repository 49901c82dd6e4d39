"""HRV: Task Force definitions, NN-only statistics, ectopic handling, streaming equivalence."""

from __future__ import annotations

import numpy as np
import pytest

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal.hrv import (
    RunningHrv,
    ectopic_mask,
    hrv_from_peaks,
    hrv_from_rr,
    nn_mask_from_labels,
    rr_intervals_ms,
)


def test_constant_rhythm_has_no_variability() -> None:
    hrv = hrv_from_rr([1000.0] * 10)
    assert hrv.n_nn == 10
    assert hrv.sdnn_ms == 0.0
    assert hrv.rmssd_ms == 0.0
    assert hrv.pnn50 == 0.0
    assert hrv.mean_hr_bpm == pytest.approx(60.0)


def test_alternating_rr_gives_exact_rmssd_and_pnn50() -> None:
    small = hrv_from_rr([800.0, 850.0] * 6)
    assert small.rmssd_ms == pytest.approx(50.0)
    assert small.pnn50 == 0.0  # 50 ms is not more than 50 ms
    large = hrv_from_rr([800.0, 900.0] * 6, nn=np.ones(12, dtype=bool))
    assert large.rmssd_ms == pytest.approx(100.0)
    assert large.pnn50 == 1.0


def test_matches_textbook_formulas_on_random_rr() -> None:
    rng = np.random.default_rng(7)
    rr = 900.0 + np.cumsum(rng.normal(0, 8, 300))  # slow drift, no ectopy
    hrv = hrv_from_rr(rr, nn=np.ones(rr.size, dtype=bool))
    assert hrv.sdnn_ms == pytest.approx(np.std(rr, ddof=1))
    assert hrv.rmssd_ms == pytest.approx(np.sqrt(np.mean(np.diff(rr) ** 2)))
    assert hrv.pnn50 == pytest.approx(np.mean(np.abs(np.diff(rr)) > 50))
    assert hrv.min_nn_ms == pytest.approx(rr.min())
    assert hrv.max_nn_ms == pytest.approx(rr.max())


def test_premature_beat_is_excluded_by_timing() -> None:
    rr = [1000.0] * 8 + [600.0, 1400.0] + [1000.0] * 8  # PVC with compensatory pause
    mask = ectopic_mask(rr)
    assert mask.tolist() == [False] * 8 + [True, True] + [False] * 8
    hrv = hrv_from_rr(rr)
    assert hrv.n_nn == 16
    assert hrv.rmssd_ms == 0.0  # no long-short difference leaks in
    assert hrv.max_nn_ms == 1000.0


def test_beat_labels_decide_nn_intervals() -> None:
    normal = [True] * 5 + [False] + [True] * 4  # beat 5 is ectopic
    nn = nn_mask_from_labels(normal)
    assert nn.tolist() == [True] * 4 + [False, False] + [True] * 3
    rr = [1000.0, 1010.0, 990.0, 1000.0, 700.0, 1300.0, 1000.0, 1020.0, 1000.0]
    hrv = hrv_from_rr(rr, nn=nn)
    assert hrv.n_nn == 7
    # successive differences only between adjacent NN intervals: 3 before, 2 after the ectopic
    expected = np.array([10.0, -20.0, 10.0, 20.0, -20.0])
    assert hrv.rmssd_ms == pytest.approx(np.sqrt(np.mean(expected**2)))


def test_too_few_intervals_are_absent_not_zero() -> None:
    one = hrv_from_rr([1000.0])
    assert one.n_nn == 1
    assert one.sdnn_ms is None
    assert one.rmssd_ms is None
    assert one.pnn50 is None
    none = hrv_from_rr([])
    assert none.mean_nn_ms is None
    assert none.mean_hr_bpm is None


def test_implausible_intervals_never_count() -> None:
    hrv = hrv_from_rr([1000.0, 150.0, 1000.0, 3500.0, 1000.0], nn=np.ones(5, dtype=bool))
    assert hrv.n_nn == 3
    assert hrv.rmssd_ms is None  # no two adjacent plausible intervals


def test_peaks_to_rr_and_bad_input() -> None:
    assert rr_intervals_ms([0, 500, 1000], 500.0).tolist() == [1000.0, 1000.0]
    hrv = hrv_from_peaks([0, 500, 1000, 1500], 500.0, beat_is_normal=[True] * 4)
    assert hrv.mean_nn_ms == 1000.0
    with pytest.raises(InvalidSignal, match="increasing"):
        rr_intervals_ms([0, 500, 400], 500.0)
    with pytest.raises(InvalidSignal, match="1-D"):
        rr_intervals_ms([[0, 500]], 500.0)
    with pytest.raises(InvalidSignal, match="sampling rate"):
        rr_intervals_ms([0, 500], 0.0)
    with pytest.raises(InvalidSignal, match="finite"):
        hrv_from_rr([1000.0, np.nan])
    with pytest.raises(InvalidSignal, match="shape"):
        hrv_from_rr([1000.0, 1000.0], nn=[True])


def test_running_accumulator_equals_batch_on_any_chunking() -> None:
    rng = np.random.default_rng(3)
    rr = 800.0 + rng.normal(0, 40, 1000)
    nn = rng.random(1000) > 0.05
    batch = hrv_from_rr(rr, nn=nn)
    running = RunningHrv()
    for chunk in np.array_split(np.arange(1000), [1, 7, 300, 301, 650]):
        running.update(rr[chunk], nn[chunk])
    result = running.result()
    assert result.n_rr == batch.n_rr
    assert result.n_nn == batch.n_nn
    for name in ("mean_nn_ms", "min_nn_ms", "max_nn_ms", "sdnn_ms", "rmssd_ms", "pnn50"):
        assert getattr(result, name) == pytest.approx(getattr(batch, name)), name
