"""Delineation: seeded synthetic ECGs with known wave boundaries, absent waves, bad input, LUDB."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal.delineate import POINT_NAMES, Delineation, delineate, delineate_leads
from clarity.ecg.signal.filters import clean
from clarity.ecg.signal.peaks import detect_r_peaks
from tests.realdata import shared_data

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]

TRUNCATE = 2.0  # a synthetic wave is a Gaussian cut (and lowered to zero) at +-2 sigma


@dataclass(frozen=True)
class Wave:
    """An (optionally asymmetric) truncated Gaussian: centre and widths in s from R, mV."""

    centre_s: float
    left_s: float
    right_s: float
    amplitude_mv: float

    @property
    def onset_s(self) -> float:
        return self.centre_s - TRUNCATE * self.left_s

    @property
    def offset_s(self) -> float:
        return self.centre_s + TRUNCATE * self.right_s

    def render(self, t_s: FloatArray) -> FloatArray:
        sigma = np.where(t_s < self.centre_s, self.left_s, self.right_s)
        z = (t_s - self.centre_s) / sigma
        floor = np.exp(-0.5 * TRUNCATE**2)
        shape = (np.exp(-0.5 * z**2) - floor) / (1.0 - floor)
        return np.where(np.abs(z) <= TRUNCATE, self.amplitude_mv * shape, 0.0)


P = Wave(-0.16, 0.018, 0.018, 0.15)
QRS = (
    Wave(-0.024, 0.006, 0.006, -0.10),
    Wave(0.0, 0.008, 0.008, 1.2),
    Wave(0.024, 0.006, 0.006, -0.25),
)
T = Wave(0.29, 0.05, 0.035, 0.3)
QRS_ONSET_S = QRS[0].onset_s
QRS_OFFSET_S = QRS[-1].offset_s


@dataclass(frozen=True)
class Synthetic:
    ecg: FloatArray  # (n_leads, n_samples)
    fs: float
    r_idx: IndexArray


def _rr_series(rng: np.random.Generator, duration_s: float, irregular: bool) -> FloatArray:
    n = int(duration_s / 0.4) + 2
    rr = rng.uniform(0.45, 1.1, size=n) if irregular else 0.85 + 0.03 * rng.standard_normal(n)
    beats = 0.6 + np.concatenate([[0.0], np.cumsum(rr)])
    return beats[beats < duration_s - 0.6]


def synthetic(
    fs: float = 500.0,
    *,
    seed: int = 0,
    n_leads: int = 1,
    p_wave: bool = True,
    t_amplitude: float = 1.0,
    irregular: bool = False,
    noise_mv: float = 0.005,
    duration_s: float = 10.0,
) -> Synthetic:
    """A seeded ECG whose wave boundaries are known exactly (see the module-level waves)."""
    rng = np.random.default_rng(seed)
    n = round(duration_s * fs)
    t_s = np.arange(n) / fs
    beats_s = _rr_series(rng, duration_s, irregular)
    gains = rng.uniform(0.4, 1.2, size=(n_leads, 3)) * rng.choice([-1.0, 1.0], size=(n_leads, 3))
    gains[0] = 1.0
    ecg = np.zeros((n_leads, n))
    for lead in range(n_leads):
        for beat_s in beats_s:
            rel = t_s - beat_s
            near = np.abs(rel) < 0.6
            x = sum(w.render(rel[near]) for w in QRS) * gains[lead, 0]
            x = x + T.render(rel[near]) * gains[lead, 1] * t_amplitude
            if p_wave:
                x = x + P.render(rel[near]) * gains[lead, 2]
            ecg[lead, near] += x
    ecg += noise_mv * rng.standard_normal(ecg.shape)
    if not p_wave:  # fibrillatory waves: 5-8 Hz, random phase per lead
        for lead in range(n_leads):
            for f_hz in rng.uniform(5.0, 8.0, size=3):
                phase = rng.uniform(0, 2 * np.pi)
                ecg[lead] += 0.02 * np.sin(2 * np.pi * f_hz * t_s + phase)
    return Synthetic(ecg=ecg, fs=fs, r_idx=np.rint(beats_s * fs).astype(np.int64))


def _errors_ms(found: IndexArray, r_idx: IndexArray, truth_s: float, fs: float) -> FloatArray:
    ok = found >= 0
    return np.asarray((found[ok] - r_idx[ok] - truth_s * fs) * 1000.0 / fs, dtype=np.float64)


def _assert_within(found: IndexArray, syn: Synthetic, truth_s: float, tol_ms: float) -> None:
    inner = slice(1, -1)  # the first and last beats may lack room for P or T
    err = _errors_ms(found[inner], syn.r_idx[inner], truth_s, syn.fs)
    assert err.size == syn.r_idx.size - 2, "a wave went missing"
    assert np.max(np.abs(err)) <= tol_ms, f"errors {np.round(err, 1)} ms exceed {tol_ms} ms"


# tolerances (ms) for a clean synthetic beat; 1.5 sampling intervals are added at each rate
TOLERANCE_MS = {
    "p_onset": 15.0,
    "p_peak": 6.0,
    "p_offset": 15.0,
    "qrs_onset": 12.0,
    "qrs_offset": 12.0,
    "t_peak": 8.0,
    "t_offset": 20.0,
}
TRUTH_S = {
    "p_onset": P.onset_s,
    "p_peak": P.centre_s,
    "p_offset": P.offset_s,
    "qrs_onset": QRS_ONSET_S,
    "qrs_offset": QRS_OFFSET_S,
    "t_peak": T.centre_s,
    "t_offset": T.offset_s,
}


@pytest.mark.parametrize("fs", [80.0, 128.0, 250.0, 360.0, 500.0, 1000.0])
@pytest.mark.parametrize("point", list(TRUTH_S))
def test_single_lead_points_within_tolerance(fs: float, point: str) -> None:
    syn = synthetic(fs, seed=int(fs))
    d = delineate(syn.ecg[0], fs, syn.r_idx)
    tol = TOLERANCE_MS[point] + 1500.0 / fs
    _assert_within(d.point(point), syn, TRUTH_S[point], tol)


def test_points_are_in_physiological_order() -> None:
    syn = synthetic(seed=3)
    d = delineate(syn.ecg[0], syn.fs, syn.r_idx)
    order = ["p_onset", "p_peak", "p_offset", "qrs_onset", "r_peak", "qrs_offset", "t_peak"]
    stacked = np.stack([d.point(name) for name in [*order, "t_offset"]])
    full = (stacked >= 0).all(axis=0)
    assert full.sum() >= syn.r_idx.size - 2
    assert np.all(np.diff(stacked[:, full], axis=0) > 0)


def test_absent_p_waves_are_reported_absent_in_fibrillation() -> None:
    syn = synthetic(seed=5, n_leads=12, p_wave=False, irregular=True)
    d = delineate(syn.ecg, syn.fs, syn.r_idx)
    for result in (d, *d.leads):
        for name in ("p_onset", "p_peak", "p_offset"):
            assert np.all(result.point(name) == -1), name
    assert np.count_nonzero(d.qrs_onset >= 0) == syn.r_idx.size
    assert np.count_nonzero(d.t_peak >= 0) >= syn.r_idx.size - 1


def test_single_lead_fibrillation_has_no_p() -> None:
    syn = synthetic(seed=6, p_wave=False, irregular=True)
    d = delineate(syn.ecg[0], syn.fs, syn.r_idx)
    assert np.count_nonzero(d.p_peak >= 0) == 0


def test_flat_t_wave_is_absent() -> None:
    syn = synthetic(seed=7, t_amplitude=0.0, noise_mv=0.002)
    d = delineate(syn.ecg[0], syn.fs, syn.r_idx)
    assert np.count_nonzero(d.t_peak >= 0) <= 1
    assert np.count_nonzero(d.qrs_offset >= 0) == syn.r_idx.size


def test_beat_at_record_edge_has_no_p_wave() -> None:
    syn = synthetic(seed=8)
    first = int(syn.r_idx[0])
    cut = syn.ecg[0, first - round(0.05 * syn.fs) :]
    d = delineate(cut, syn.fs, syn.r_idx - (first - round(0.05 * syn.fs)))
    assert d.p_onset[0] == -1 and d.p_peak[0] == -1
    assert np.all(d.p_peak[1:-1] >= 0)


def test_twelve_lead_global_and_per_lead() -> None:
    syn = synthetic(seed=9, n_leads=12)
    d = delineate(syn.ecg, syn.fs, syn.r_idx)
    assert len(d.leads) == 12
    assert all(lead.n_beats == d.n_beats for lead in d.leads)
    for point, truth in TRUTH_S.items():
        _assert_within(d.point(point), syn, truth, TOLERANCE_MS[point])
    for lead in d.leads:
        ok = (lead.qrs_onset >= 0) & (d.qrs_onset >= 0)
        assert np.all(np.abs(lead.qrs_onset[ok] - d.qrs_onset[ok]) <= 0.006 * syn.fs)
    assert delineate_leads(syn.ecg, syn.fs, syn.r_idx) == d.leads


def test_a_terminal_wave_in_a_few_leads_ends_the_global_qrs() -> None:
    # right bundle branch block: a late R' seen in three leads of twelve; the median of the
    # leads' own ends would stop at the end of the main deflection, 30 ms early
    syn = synthetic(seed=13, n_leads=12)
    terminal = Wave(0.05, 0.008, 0.008, 0.5)
    t_s = np.arange(syn.ecg.shape[1]) / syn.fs
    late = sum(terminal.render(t_s - r / syn.fs) for r in syn.r_idx)
    ecg = syn.ecg.copy()
    ecg[:3] += late
    d = delineate(ecg, syn.fs, syn.r_idx)
    _assert_within(d.qrs_offset, syn, terminal.offset_s, TOLERANCE_MS["qrs_offset"])
    for lead in d.leads:  # every lead's end follows the global one
        assert np.all(lead.qrs_offset[1:-1] - syn.r_idx[1:-1] > 0.05 * syn.fs)


def test_a_wave_merging_into_one_qrs_does_not_move_its_global_onset() -> None:
    syn = synthetic(seed=11, n_leads=12)
    base = delineate(syn.ecg, syn.fs, syn.r_idx)
    k = 5  # an F-like wave running into the QRS of beat k in every lead (18 ms earlier without
    # the steady onset of alike beats)
    onset_s = syn.r_idx[k] / syn.fs + QRS_ONSET_S
    t_s = np.arange(syn.ecg.shape[1]) / syn.fs
    bump = Wave(onset_s - 0.01, 0.015, 0.015, 0.2).render(t_s)
    merged = delineate(syn.ecg + bump, syn.fs, syn.r_idx)
    assert abs(merged.qrs_onset[k] - base.qrs_onset[k]) <= 0.004 * syn.fs
    others = np.arange(syn.r_idx.size) != k
    assert np.array_equal(merged.qrs_onset[others], base.qrs_onset[others])


def test_baseline_wander_and_scale_do_not_move_qrs() -> None:
    syn = synthetic(seed=10)
    t_s = np.arange(syn.ecg.shape[1]) / syn.fs
    wandering = syn.ecg[0] * 3.0 + 0.6 * np.sin(2 * np.pi * 0.3 * t_s)
    base = delineate(syn.ecg[0], syn.fs, syn.r_idx)
    moved = delineate(wandering, syn.fs, syn.r_idx)
    for name in ("qrs_onset", "qrs_offset"):
        assert np.max(np.abs(base.point(name) - moved.point(name))) <= 0.004 * syn.fs


def test_long_record_is_delineated_in_blocks_like_short_ones() -> None:
    syn = synthetic(250.0, seed=13, duration_s=180.0)
    assert syn.r_idx.size > 150  # several blocks of beats
    d = delineate(syn.ecg[0], syn.fs, syn.r_idx)
    for point, truth in TRUTH_S.items():
        _assert_within(d.point(point), syn, truth, TOLERANCE_MS[point] + 6.0)
    start, stop = int(syn.r_idx[58]) - 200, int(syn.r_idx[72]) + 200  # across a block edge
    inside = (syn.r_idx >= start) & (syn.r_idx < stop)
    part = delineate(syn.ecg[0, start:stop], syn.fs, syn.r_idx[inside] - start)
    for name in ("qrs_onset", "qrs_offset", "t_offset", "p_onset"):
        assert np.array_equal(part.point(name)[1:-1] + start, d.point(name)[inside][1:-1])


def test_accepts_an_object_with_indices() -> None:
    syn = synthetic(seed=11)

    class Peaks:
        indices = syn.r_idx

    assert delineate(syn.ecg[0], syn.fs, Peaks()) == delineate(syn.ecg[0], syn.fs, syn.r_idx)


def test_no_beats_gives_empty_arrays() -> None:
    d = delineate(np.zeros(1000), 250.0, np.array([], dtype=np.int64))
    assert d.n_beats == 0
    assert all(d.point(name).shape == (0,) for name in POINT_NAMES)


@pytest.mark.parametrize(
    ("ecg", "r_peaks", "message"),
    [
        (np.full(2000, np.nan), [500], "NaN"),
        (np.zeros((2, 3, 100)), [50], "1-D or"),
        (np.zeros(2000), [500, 300], "increasing"),
        (np.zeros(2000), [500, 2500], "within the record"),
        (np.zeros(2000), [500.5], "whole sample"),
        (np.zeros(2000), [[500]], "1-D array"),
        (np.zeros(2000), ["a"], "sample indices"),
    ],
)
def test_bad_input_is_rejected(ecg: FloatArray, r_peaks: object, message: str) -> None:
    with pytest.raises(InvalidSignal, match=message):
        delineate(ecg, 500.0, r_peaks)  # type: ignore[arg-type]  # bad input on purpose


def test_bad_rate_and_method_are_rejected() -> None:
    with pytest.raises(InvalidSignal, match="sampling rate"):
        delineate(np.zeros(2000), 0.0, [500])
    with pytest.raises(InvalidSignal, match="unknown delineation method"):
        delineate(np.zeros(2000), 500.0, [500], method="magic")  # type: ignore[arg-type]  # on purpose
    with pytest.raises(InvalidSignal, match="n_leads, n_samples"):
        delineate_leads(np.zeros(2000), 500.0, [500])


def test_delineation_is_immutable_and_checked() -> None:
    syn = synthetic(seed=12)
    d = delineate(syn.ecg[0], syn.fs, syn.r_idx)
    with pytest.raises(ValueError, match="read-only"):
        d.qrs_onset[0] = 3
    two = np.arange(2)
    with pytest.raises(ValueError, match="shape"):
        Delineation(np.arange(3), two, two, two, two, two, two, two, fs=500.0)
    with pytest.raises(KeyError, match="unknown fiducial"):
        d.point("u_peak")


# --- real data: LUDB (Kalyakulina et al. 2020), per-lead annotations -------------------------


def _ludb(record: int) -> tuple[FloatArray, dict[str, dict[str, IndexArray]], tuple[int, int]]:
    wfdb = pytest.importorskip("wfdb")
    path = shared_data("ludb", "data", f"{record}.hea").with_suffix("")
    rec = wfdb.rdrecord(str(path))
    names = [n.lower() for n in rec.sig_name]
    marks: dict[str, dict[str, IndexArray]] = {}
    starts, stops = [], []
    for lead in names:
        ann = wfdb.rdann(str(path), lead)
        sym = np.asarray(ann.symbol)
        samples = np.asarray(ann.sample, dtype=np.int64)
        starts.append(samples.min())
        stops.append(samples.max())
        marks[lead] = {
            "r": samples[sym == "N"],
            "qrs_onset": samples[:-1][(sym[1:] == "N") & (sym[:-1] == "(")],
            "p_peak": samples[sym == "p"],
        }
    return np.asarray(rec.p_signal.T), marks, (int(np.median(starts)), int(np.median(stops)))


@pytest.mark.realdata
def test_ludb_sinus_record_matches_annotations() -> None:
    ecg, marks, _ = _ludb(1)
    r_idx = marks["ii"]["r"]
    d = delineate(ecg, 500.0, r_idx)
    all_errors = []
    for lead_idx, lead in enumerate(marks):
        ref = marks[lead]["qrs_onset"]
        found = d.leads[lead_idx].qrs_onset
        errors = found[np.abs(found[:, None] - ref[None, :]).argmin(axis=0)] - ref
        assert np.median(np.abs(errors)) <= 8, lead  # 16 ms at 500 Hz in every lead
        all_errors.append(errors)
    assert np.median(np.abs(np.concatenate(all_errors))) <= 6  # 12 ms over all leads
    ref_p = marks["ii"]["p_peak"]
    hits = np.abs(d.p_peak[:, None] - ref_p[None, :]).min(axis=0)
    assert np.all(hits <= 10), hits  # every annotated P found within 20 ms


@pytest.mark.realdata
def test_ludb_atrial_fibrillation_has_no_p_waves() -> None:
    ecg, marks, _ = _ludb(38)  # atrial fibrillation: no P annotated in any lead
    d = delineate(ecg, 500.0, marks["ii"]["r"])
    assert all(marks[lead]["p_peak"].size == 0 for lead in marks)
    assert np.count_nonzero(d.p_peak >= 0) == 0
    assert np.count_nonzero(d.t_offset >= 0) >= d.n_beats - 1


def _beat_median(
    marks: dict[str, dict[str, IndexArray]], point: str, r_idx: IndexArray
) -> FloatArray:
    """Per beat, the median over leads of an annotated point in the 400 ms before its R peak."""
    out = np.full(r_idx.size, np.nan)
    for k, r in enumerate(r_idx):
        near = [m[point][(m[point] > r - 200) & (m[point] <= r)] for m in marks.values()]
        found = np.concatenate(near)
        if found.size >= 6:  # annotated in at least half the leads, as the benchmark asks
            out[k] = np.median(found)
    return out


@pytest.mark.realdata
def test_ludb_small_p_waves_follow_the_leads_that_show_them() -> None:
    ecg, marks, _ = _ludb(56)  # P waves of 0.03-0.05 mV: most leads show none
    r_idx = marks["ii"]["r"]
    d = delineate(ecg, 500.0, r_idx)
    ref = _beat_median(marks, "p_peak", r_idx)
    both = (d.p_peak >= 0) & np.isfinite(ref)
    assert np.count_nonzero(both) >= 6
    assert np.all(np.abs(d.p_peak[both] - ref[both]) <= 15), d.p_peak - ref  # 30 ms


@pytest.mark.realdata
def test_ludb_paced_qrs_starts_after_the_stimulus() -> None:
    ecg, marks, _ = _ludb(93)  # biventricular pacing: the QRS starts 30-60 ms after the stimulus
    r_idx = marks["ii"]["r"]
    d = delineate(ecg, 500.0, r_idx)
    ref = _beat_median(marks, "qrs_onset", r_idx)
    both = (d.qrs_onset >= 0) & np.isfinite(ref)
    assert np.count_nonzero(both) == r_idx.size
    assert np.all(np.abs(d.qrs_onset[both] - ref[both]) <= 13), d.qrs_onset - ref  # 26 ms


@pytest.mark.realdata
def test_ludb_flutter_waves_do_not_move_the_qrs_onset() -> None:
    ecg, marks, _ = _ludb(35)  # atrial flutter: F waves run into the QRS onsets of some beats
    r_idx = marks["ii"]["r"]
    d = delineate(ecg, 500.0, r_idx)
    ref = _beat_median(marks, "qrs_onset", r_idx)
    both = (d.qrs_onset >= 0) & np.isfinite(ref)
    assert np.count_nonzero(both) >= r_idx.size - 1
    assert np.all(np.abs(d.qrs_onset[both] - ref[both]) <= 5), d.qrs_onset - ref  # 10 ms


@pytest.mark.realdata
def test_ludb_single_lead_p_waves_are_found_in_most_leads() -> None:
    ecg, marks, (start, stop) = _ludb(2)  # sinus rhythm; P waves small in several leads
    r_idx = marks["ii"]["r"]
    found = reported = right = annotated = 0
    for lead_idx, lead in enumerate(marks):
        ref = marks[lead]["p_peak"]
        peaks = delineate(ecg[lead_idx], 500.0, r_idx).p_peak
        peaks = peaks[(peaks >= start) & (peaks <= stop)]
        annotated += ref.size
        reported += peaks.size
        if ref.size and peaks.size:
            found += int(np.sum(np.abs(ref[:, None] - peaks[None, :]).min(axis=1) <= 25))
            right += int(np.sum(np.abs(peaks[:, None] - ref[None, :]).min(axis=1) <= 25))
    assert found >= 0.85 * annotated, (found, annotated)  # within 50 ms; 73 % before 2026-12-06
    assert right >= 0.95 * reported, (right, reported)


def test_two_leads_that_disagree_follow_the_dominant_p_wave() -> None:
    combine = importlib.import_module("clarity.ecg.signal.delineate._combine")
    qrs_on = np.arange(1, 9) * 200
    peaks = np.stack([qrs_on - 70, qrs_on - 45])  # each lead steady, 25 samples apart
    dominance = np.stack([np.full(8, 40.0), np.full(8, 3.0)])  # lead 0 stands out more
    showing = combine.p_wave_leads(
        peaks, np.full((2, 8), 0.05), dominance, qrs_on, 180.0,
        min_mv=0.01, min_dominance=2.0, agree_s=0.03, min_pr_s=0.04,
        pr_tolerance_s=0.04, min_regular_fraction=0.7,
    )  # fmt: skip
    assert showing[0].all() and not showing[1].any()


@pytest.mark.realdata
def test_mitdb_two_lead_p_waves_are_found_in_first_degree_block() -> None:
    wfdb = pytest.importorskip("wfdb")
    path = shared_data("mitdb", "109.hea").with_suffix("")
    rec = wfdb.rdrecord(str(path), sampfrom=36000, sampto=39600)  # sinus, LBBB, long PR
    ecg = clean(rec.p_signal.T, rec.fs)
    d = delineate(ecg, rec.fs, detect_r_peaks(ecg, rec.fs))
    assert np.mean(d.p_peak >= 0) >= 0.7  # MLII's P wave, where V1 found another wave
