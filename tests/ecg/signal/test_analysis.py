"""analyze and analyze_stream: the whole pipeline on synthetic and real ECGs, and bad input."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import numpy as np
import pytest

from clarity.ecg.errors import InvalidSignal, SignalTooShort
from clarity.ecg.signal import analyze, analyze_stream
from clarity.ecg.waveform import STANDARD_LEADS, Waveform
from tests.ecg.signal.synthetic_12lead import Spec, af_rr_ms, synthesize
from tests.realdata import shared_data


def _codes(waveform: Waveform, **kwargs: object) -> set[str]:
    return {s.code for s in analyze(waveform, **kwargs).statements}  # type: ignore[arg-type]


def test_normal_synthetic_ecg_end_to_end() -> None:
    waveform, truth = synthesize(Spec(hr_bpm=70, seed=1))
    result = analyze(waveform)
    assert result.quality.grade == "excellent"
    assert result.usable_leads == STANDARD_LEADS
    assert abs(len(result.r_peaks.indices) - truth.delineation.n_beats) == 0
    m = result.measurements
    assert m.heart_rate_bpm == pytest.approx(70.0, abs=1)
    assert m.pr_ms == pytest.approx(160.0, abs=20)
    assert m.qrs_duration_ms == pytest.approx(90.0, abs=20)
    assert {"SR", "NORM"} <= {s.code for s in result.statements}
    assert result.statements[-1].category == "summary"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (Spec(hr_bpm=45, seed=2), "SBRAD"),
        (Spec(hr_bpm=115, qt_ms=320, seed=3), "STACH"),
        (Spec(rr_ms=af_rr_ms(95, 30, seed=5), p_present=False, af_wave_uv=40, seed=5), "AFIB"),
        (Spec(conduction="rbbb", seed=6), "CRBBB"),
        (Spec(conduction="lbbb", seed=7), "CLBBB"),
        (Spec(pr_ms=260, seed=8), "1AVB"),
        (Spec(qrs_axis_deg=-60, seed=9), "LAD"),
    ],
)
def test_synthetic_abnormalities_are_reported(spec: Spec, expected: str) -> None:
    assert expected in _codes(synthesize(spec)[0])


def test_one_lead_off_is_left_out_not_measured() -> None:
    waveform, _ = synthesize(Spec(seed=4))
    samples = np.array(waveform.samples)
    samples[STANDARD_LEADS.index("V4")] = 0.0
    result = analyze(Waveform(samples, waveform.fs, waveform.leads))
    assert "V4" not in result.usable_leads
    assert result.measurements.lead("V4") is None
    assert "V4" in result.quality.reason
    assert "SR" in {s.code for s in result.statements}


def test_single_lead_recording_gets_rhythm_but_no_axis() -> None:
    waveform, _ = synthesize(Spec(seed=10))
    result = analyze(waveform.select(["II"]))
    assert result.measurements.qrs_axis_deg is None
    assert "SR" in {s.code for s in result.statements}
    assert not [s for s in result.statements if s.category == "axis"]


def test_noise_everywhere_limits_the_interpretation() -> None:
    waveform, _ = synthesize(Spec(seed=11))
    rng = np.random.default_rng(11)
    noisy = np.asarray(waveform.samples) + rng.normal(0, 0.4, waveform.samples.shape)
    result = analyze(Waveform(noisy.astype(np.float32), waveform.fs, waveform.leads))
    assert [s.code for s in result.statements] == ["POORQ"]


@pytest.mark.parametrize(
    ("samples", "error", "match"),
    [
        (np.zeros((12, 5000)), InvalidSignal, "no usable ECG lead"),
        (np.full((12, 5000), np.nan), InvalidSignal, "NaN"),
        (np.ones((12, 500)), SignalTooShort, "at least 2 s"),
    ],
)
def test_bad_recordings_raise_typed_errors(
    samples: np.ndarray, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        analyze(Waveform(samples.astype(np.float32), 500.0, STANDARD_LEADS))


def test_fully_clipped_recording_is_refused() -> None:
    waveform, _ = synthesize(Spec(seed=12))
    clipped = np.clip(np.asarray(waveform.samples), -0.02, 0.02)
    with pytest.raises(InvalidSignal, match="saturation"):
        analyze(Waveform(clipped, waveform.fs, waveform.leads))


def test_wrong_shape_and_rate_are_refused_before_analysis() -> None:
    with pytest.raises(InvalidSignal, match="2-D"):
        Waveform(np.zeros((2, 3, 4), dtype=np.float32), 500.0, ("I", "II"))
    with pytest.raises(InvalidSignal, match="sampling rate"):
        Waveform(np.zeros((1, 5000), dtype=np.float32), 5.0, ("II",))


def _tiled(spec: Spec, tiles: int, chunk_s: float) -> Iterator[Waveform]:
    segment = synthesize(spec)[0].select(["II", "V1"])
    long = np.tile(np.asarray(segment.samples), (1, tiles))
    step = round(chunk_s * segment.fs)
    for start in range(0, long.shape[1], step):
        yield Waveform(long[:, start : start + step], segment.fs, segment.leads)


@pytest.mark.parametrize("chunk_s", [7.0, 45.0])
def test_stream_counts_every_beat_once_whatever_the_chunking(chunk_s: float) -> None:
    summary = analyze_stream(_tiled(Spec(pvc_beats=(5,), seed=13), tiles=30, chunk_s=chunk_s))
    assert summary.duration_s == pytest.approx(300.0)
    assert summary.window_count == 5
    assert summary.beat_count == 300
    assert summary.premature_ventricular_count == 30
    assert summary.heart_rate_mean_bpm == pytest.approx(60.0, abs=0.5)
    assert summary.hrv.rmssd_ms == pytest.approx(0.0, abs=2)  # PVC intervals are not NN


def test_stream_bad_input() -> None:
    with pytest.raises(InvalidSignal, match="no ECG samples"):
        analyze_stream(iter([]))
    first = Waveform(np.zeros((2, 3600), dtype=np.float32), 360.0, ("II", "V1"))
    other = Waveform(np.zeros((2, 3600), dtype=np.float32), 250.0, ("II", "V1"))
    with pytest.raises(InvalidSignal, match="same sampling rate"):
        analyze_stream(iter([first, other]))
    with pytest.raises(SignalTooShort):
        analyze_stream(iter([first.slice(0, 300)]))


def _ludb_rhythms() -> dict[int, str]:
    path = shared_data("ludb", "ludb.csv")
    with path.open(newline="") as f:
        return {
            int(r["ID"]): r["Rhythms"].strip()
            for r in csv.DictReader(f)
            if not r["Cardiac pacing"].strip()
        }


@pytest.mark.realdata
@pytest.mark.slow
def test_ludb_atrial_fibrillation_and_sinus_records() -> None:
    wfdb = pytest.importorskip("wfdb")
    rhythms = _ludb_rhythms()
    af = [r for r, rhythm in rhythms.items() if rhythm == "Atrial fibrillation"]
    sinus = [r for r, rhythm in rhythms.items() if rhythm == "Sinus rhythm"][:12]
    assert len(af) >= 8

    def codes(record: int) -> set[str]:
        rec = wfdb.rdrecord(str(shared_data("ludb", "data") / str(record)))
        return _codes(Waveform(rec.p_signal.T.astype(np.float32), rec.fs, STANDARD_LEADS))

    af_hits = sum("AFIB" in codes(r) for r in af)
    sinus_hits = sum(bool(codes(r) & {"SR", "SBRAD", "STACH"}) for r in sinus)
    assert af_hits >= 0.7 * len(af)
    assert sinus_hits >= 0.9 * len(sinus)


@pytest.mark.realdata
@pytest.mark.slow
def test_mitbih_record_streamed_matches_annotated_beats() -> None:
    wfdb = pytest.importorskip("wfdb")
    path = str(shared_data("mitdb") / "115")
    rec = wfdb.rdrecord(path)
    beats = sum(s in "NLRAaJSVFejE/fQ" for s in wfdb.rdann(path, "atr").symbol)
    signal = rec.p_signal.T.astype(np.float32)
    chunks = (
        Waveform(signal[:, i : i + 3600], 360.0, ("II", "V1"))
        for i in range(0, signal.shape[1], 3600)
    )
    summary = analyze_stream(chunks)
    assert summary.beat_count == pytest.approx(beats, rel=0.01)
