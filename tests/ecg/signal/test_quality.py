"""Signal quality: each defect is found in the right lead with a number and a reason."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from clarity.ecg.errors import InvalidSignal, SignalTooShort
from clarity.ecg.signal.quality import assess_quality
from clarity.ecg.waveform import Waveform
from tests.ecg.signal.synthetic_12lead import Spec, synthesize
from tests.ecg.signal.synthetic_beats import synthetic_ecg
from tests.realdata import shared_data


def _clean(fs: float = 500.0, seed: int = 0) -> Waveform:
    return synthesize(Spec(fs=fs, seed=seed))[0]


def _replace(w: Waveform, lead: str, values: np.ndarray) -> Waveform:
    samples = np.array(w.samples)
    samples[w.leads.index(lead)] = values
    return Waveform(samples, w.fs, w.leads)


def _kinds(q_lead: object) -> dict[str, str]:
    return {issue.kind: issue.severity for issue in q_lead.issues}  # type: ignore[attr-defined]


def test_clean_ecg_is_excellent_without_issues() -> None:
    q = assess_quality(_clean())
    assert q.grade == "excellent"
    assert q.score == pytest.approx(1.0)
    assert all(not lq.issues for lq in q.leads)
    assert len(q.usable_leads) == 12
    assert "no problem" in q.reason


def test_lead_off_constant_lead() -> None:
    w = _clean()
    q = assess_quality(_replace(w, "V3", np.zeros(w.n_samples)))
    v3 = q.lead("V3")
    assert _kinds(v3) == {"lead_off": "unusable"}  # flat/noise checks do not pile on
    assert not v3.usable
    assert "V3" not in q.usable_leads
    assert "V3" in q.reason and "lead off" in q.reason
    assert q.grade in ("excellent", "good")  # 11 good leads remain


def test_intermittent_lead_off() -> None:
    w = _clean()
    v2 = np.array(w.lead("V2"))
    v2[1000:2000] = 0.0
    assert _kinds(assess_quality(_replace(w, "V2", v2)).lead("V2"))["lead_off"] == "marked"


def test_flat_line_without_cardiac_activity() -> None:
    w = _clean()
    rng = np.random.default_rng(1)
    q = assess_quality(_replace(w, "V2", rng.normal(0, 0.003, w.n_samples)))
    assert _kinds(q.lead("V2"))["flat_line"] == "unusable"


def test_clipping_is_saturation() -> None:
    w = _clean()
    lead_ii = np.clip(np.array(w.lead("II")), None, 0.6)
    q = assess_quality(_replace(w, "II", lead_ii))
    issue = next(i for i in q.lead("II").issues if i.kind == "saturation")
    assert issue.severity in ("marked", "unusable")
    assert "clipped" in issue.reason
    assert "saturation" not in _kinds(q.lead("I"))


def test_single_narrow_peak_plateau_is_not_clipping() -> None:
    w = _clean()
    lead_ii = np.array(w.lead("II"))
    top = int(np.argmax(lead_ii))
    lead_ii[top : top + 4] = lead_ii[top]  # 8 ms flat top on one beat only
    assert "saturation" not in _kinds(assess_quality(_replace(w, "II", lead_ii)).lead("II"))


def test_muscle_noise_is_graded_by_level() -> None:
    w = _clean()
    rng = np.random.default_rng(2)
    levels = []
    for rms_mv in (0.005, 0.08, 0.3):  # white: ~half the power falls in 20-150 Hz
        noisy = np.array(w.lead("V4")) + rng.normal(0, rms_mv, w.n_samples)
        levels.append(_kinds(assess_quality(_replace(w, "V4", noisy)).lead("V4")).get("noise"))
    assert levels == [None, "marked", "unusable"]


def test_motion_artefact_in_the_qrs_band_lowers_the_qrs_contrast() -> None:
    # 5-15 Hz artefact (as electrode motion makes) adds nothing above 20 Hz and nothing below
    # 0.5 Hz, where the noise and wander checks look; the QRS-band contrast finds it, in that
    # lead only (mild at most: fibrillatory waves lie in that band too)
    w = _clean()
    rng = np.random.default_rng(3)
    sos = signal.butter(4, [5.0, 15.0], btype="bandpass", fs=w.fs, output="sos")
    motion = signal.sosfiltfilt(sos, rng.normal(0.0, 1.0, w.n_samples))
    motion /= np.std(motion)
    graded = [
        _kinds(assess_quality(_replace(w, "V4", np.array(w.lead("V4")) + rms * motion)).lead("V4"))
        for rms in (0.01, 0.1, 0.2)
    ]
    assert graded == [{}, {"low_qrs_contrast": "mild"}, {"low_qrs_contrast": "mild"}]
    q = assess_quality(_replace(w, "V4", np.array(w.lead("V4")) + 0.2 * motion))
    assert all(not lq.issues for lq in q.leads if lq.lead != "V4")
    issue = next(i for i in q.lead("V4").issues if i.kind == "low_qrs_contrast")
    assert issue.value < 10.0 and "5-20 Hz" in issue.reason


def test_a_nearly_isoelectric_qrs_is_not_low_contrast_noise() -> None:
    # with the frontal axis at +60 degrees the QRS of aVL is nearly flat: its contrast is low,
    # but nothing else is in its QRS band either, so it is not noise
    w = _clean()
    assert not assess_quality(w).lead("aVL").issues
    small = np.array(w.lead("II")) * 0.05
    assert not assess_quality(_replace(w, "II", small)).lead("II").issues


def test_fast_rhythms_are_not_taken_for_noise() -> None:
    # the same 15 µV of white noise at 60 and up to 210 bpm: at fast rates most 200 ms windows
    # hold a piece of a QRS complex, whose own high frequencies are not noise
    rng = np.random.default_rng(0)
    floors = []
    for hr_bpm in (60.0, 150.0, 180.0, 210.0):
        ecg = synthetic_ecg(500.0, 10.0, hr_bpm=hr_bpm, seed=3)
        x = ecg.ecg_mv + rng.normal(0.0, 0.015, ecg.ecg_mv.size)
        lq = assess_quality(Waveform(x[None, :].astype(np.float32), 500.0, ("II",))).lead("II")
        assert _kinds(lq).get("noise") in (None, "mild")
        floors.append(lq.noise_uv)
    assert 8.0 <= floors[0] <= 14.0  # about 11 µV of the white noise lies at 20-150 Hz
    assert max(floors[1:]) <= 2.0 * floors[0]


@pytest.mark.realdata
def test_a_real_supraventricular_tachycardia_is_not_graded_noisy() -> None:
    # MIT-BIH 209 at 600-610 s: 156 bpm, clean; its MLII noise floor measured 74 µV (marked)
    # when the windows between the complexes were not told apart
    wfdb = pytest.importorskip("wfdb")
    rec = wfdb.rdrecord(str(shared_data("mitdb") / "209"), sampfrom=216_000, sampto=219_600)
    q = assess_quality(Waveform(rec.p_signal.T.astype(np.float32), 360.0, ("II", "V1")))
    assert q.lead("II").noise_uv < 40.0
    assert q.grade in ("excellent", "good")


def test_baseline_wander() -> None:
    w = _clean()
    t = np.arange(w.n_samples) / w.fs
    drift = np.array(w.lead("I")) + 1.0 * np.sin(2 * np.pi * 0.2 * t)
    lq = assess_quality(_replace(w, "I", drift)).lead("I")
    assert _kinds(lq)["baseline_wander"] == "marked"
    assert lq.wander_mv == pytest.approx(2.0, abs=0.3)


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_powerline_amplitude_is_measured(mains_hz: float) -> None:
    w = _clean()
    t = np.arange(w.n_samples) / w.fs
    hum = np.array(w.lead("V1")) + 0.2 * np.sin(2 * np.pi * (mains_hz + 0.03) * t)
    lq = assess_quality(_replace(w, "V1", hum)).lead("V1")
    assert _kinds(lq)["powerline"] == "marked"
    assert lq.powerline_uv == pytest.approx(200.0, rel=0.15)
    assert "noise" not in _kinds(lq)  # mains harmonics are not counted twice


def test_low_sampling_rate_skips_what_it_cannot_see() -> None:
    q = assess_quality(_clean(fs=100.0))
    assert q.grade == "excellent"
    assert all(lq.powerline_uv == 0.0 for lq in q.leads)


def test_everything_flat_is_poor() -> None:
    w = Waveform(np.zeros((12, 5000), dtype=np.float32), 500.0, _clean().leads)
    q = assess_quality(w)
    assert q.grade == "poor"
    assert q.usable_leads == ()
    assert "12 of 12 leads unusable" in q.reason


def test_bad_input_raises_typed_errors() -> None:
    w = _clean()
    samples = np.array(w.samples)
    samples[3, 10] = np.nan
    with pytest.raises(InvalidSignal, match="NaN"):
        assess_quality(Waveform(samples, w.fs, w.leads))
    with pytest.raises(SignalTooShort):
        assess_quality(w.slice(0, 200))


@pytest.mark.realdata
def test_ludb_records_are_mostly_good_and_noise_lowers_the_grade() -> None:
    wfdb = pytest.importorskip("wfdb")
    folder = shared_data("ludb", "data")
    noise = wfdb.rdrecord(str(shared_data("nstdb") / "ma"), sampto=3600).p_signal[:, 0]
    grades = []
    for record in range(1, 21):
        rec = wfdb.rdrecord(str(folder / str(record)))
        w = Waveform(rec.p_signal.T.astype(np.float32), rec.fs, _clean().leads)
        clean = assess_quality(w)
        grades.append(clean.grade)
        noisy = np.array(w.samples) + 3.0 * np.interp(
            np.arange(w.n_samples) / w.fs, np.arange(noise.size) / 360.0, noise
        )
        assert assess_quality(Waveform(noisy, w.fs, w.leads)).score < clean.score
    assert sum(g in ("excellent", "good") for g in grades) >= 19


def test_percentile_of_the_valid_windows_matches_numpy() -> None:
    from clarity.ecg.signal._quality_checks import _percentile_of_valid

    rng = np.random.default_rng(5)
    values = rng.random((40, 17))
    valid = rng.random((40, 17)) < 0.6
    valid[0] = False
    valid[1] = np.arange(17) == 3
    got = _percentile_of_valid(values, valid, 20.0)
    expected = [
        np.percentile(v[m], 20.0) if m.any() else np.nan for v, m in zip(values, valid, strict=True)
    ]
    np.testing.assert_allclose(got, expected)
