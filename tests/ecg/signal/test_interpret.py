"""interpret: each rule fires at its published limit, names its criterion and values, and stays
silent when the measurement it needs is absent or the quality does not allow it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from clarity.ecg.signal.hrv import Hrv
from clarity.ecg.signal.interpret import Statement, interpret
from clarity.ecg.signal.measure import LeadMeasurements, Measurements, measure
from clarity.ecg.signal.quality import Quality
from clarity.ecg.waveform import STANDARD_LEADS
from tests.ecg.signal.synthetic_12lead import Spec, af_rr_ms, synthesize

_NORMAL_LEADS: dict[str, dict[str, float]] = {
    "I": {"r": 0.6, "s": 0.15, "terminal": -0.05, "rpt": 35}, "II": {"r": 1.2, "s": 0.3},
    "III": {"r": 0.6, "s": 0.15}, "aVR": {"r": 0.05, "s": 0.9}, "aVL": {"r": 0.3, "s": 0.3},
    "aVF": {"r": 0.9, "s": 0.2}, "V1": {"r": 0.3, "s": 0.9, "terminal": -0.3, "rpt": 30},
    "V2": {"r": 0.5, "s": 1.2, "terminal": -0.4}, "V3": {"r": 0.9, "s": 0.9},
    "V4": {"r": 1.3, "s": 0.5}, "V5": {"r": 1.4, "s": 0.2, "rpt": 40},
    "V6": {"r": 1.1, "s": 0.1, "terminal": -0.02, "rpt": 40},
}  # fmt: skip


def _lead(name: str, **changes: float) -> LeadMeasurements:
    base = {**_NORMAL_LEADS[name], **changes}
    r, s = base["r"], base["s"]
    return LeadMeasurements(
        lead=name, p_amplitude_mv=base.get("p", -0.1 if name == "aVR" else 0.1),
        q_amplitude_mv=base.get("q", 0.0), r_amplitude_mv=r, s_amplitude_mv=s,
        r_prime_amplitude_mv=base.get("r_prime", 0.0),
        qrs_peak_to_peak_mv=base.get("ptp", r + s), r_peak_time_ms=base.get("rpt", 35.0),
        qrs_terminal_mv=base.get("terminal", -0.05), st_j_mv=base.get("st_j", 0.0),
        st_j60_mv=base.get("st_j60", base.get("st_j", 0.0)), t_amplitude_mv=0.3,
    )  # fmt: skip


def _measurements(leads: dict[str, dict[str, float]] | None = None, **fields: Any) -> Measurements:
    leads = leads or {}
    base = Measurements(
        fs=500.0, duration_s=10.0, beat_count=10, heart_rate_bpm=70.0, rr_mean_ms=857.0,
        rr_min_ms=840.0, rr_max_ms=870.0, pr_ms=160.0, p_duration_ms=100.0,
        qrs_duration_ms=90.0, qt_ms=380.0, qtc_bazett_ms=410.0, qtc_fridericia_ms=400.0,
        p_axis_deg=50.0, qrs_axis_deg=60.0, t_axis_deg=45.0,
        hrv=Hrv(9, 9, 857.0, 840.0, 870.0, 10.0, 12.0, 0.0),
        premature_atrial_count=0, premature_ventricular_count=0, beat_classes=("N",) * 10,
        p_wave_fraction=1.0, p_wave_lock=0.95, rr_cv=0.02, rr_nrmssd=0.02, rr_cosen=-2.5,
        atrial_rate_per_min=None, atrial_regularity=None,
        leads=tuple(_lead(n, **leads.get(n, {})) for n in STANDARD_LEADS),
    )  # fmt: skip
    return replace(base, **fields)


def _codes(statements: list[Statement]) -> list[str]:
    return [s.code for s in statements]


def test_normal_ecg() -> None:
    out = interpret(_measurements())
    assert _codes(out) == ["SR", "NORM"]
    sr = out[0]
    assert sr.category == "rhythm"
    assert "60-100" in sr.criterion
    assert sr.values["heart_rate_bpm"] == 70.0
    assert out[-1].text == "Normal ECG"


@pytest.mark.parametrize(
    ("hr", "code"), [(59.0, "SBRAD"), (60.0, "SR"), (100.0, "SR"), (101.0, "STACH")]
)
def test_sinus_rate_limits(hr: float, code: str) -> None:
    out = interpret(_measurements(heart_rate_bpm=hr))
    assert out[0].code == code
    summary = out[-1]
    assert summary.code == "NORM"
    assert summary.text == ("Normal ECG" if code == "SR" else "Otherwise normal ECG")


def test_sinus_arrhythmia_needs_more_than_160_ms_spread() -> None:
    wide = replace(_measurements().hrv, min_nn_ms=700.0, max_nn_ms=880.0)
    assert "SARRH" in _codes(interpret(_measurements(hrv=wide)))
    narrow = replace(wide, max_nn_ms=850.0)
    assert "SARRH" not in _codes(interpret(_measurements(hrv=narrow)))


def test_atrial_fibrillation_needs_unpredictable_rr_and_inconsistent_p() -> None:
    af_rr: dict[str, Any] = {"rr_nrmssd": 0.2, "rr_cosen": -0.5}
    af_rr["p_wave_lock"] = 0.1
    af = interpret(
        _measurements(p_wave_fraction=0.1, pr_ms=None, premature_atrial_count=3, **af_rr)
    )
    assert _codes(af)[0] == "AFIB"
    assert "PAC" not in _codes(af)  # prematurity means nothing in AF
    assert af[0].values["rr_nrmssd"] == 0.2
    assert af[0].values["rr_cosen"] == -0.5
    assert "Dash" in af[0].criterion
    assert "Lake" in af[0].criterion
    # P waves found before some beats only (f waves mistaken for P): still AF
    assert _codes(interpret(_measurements(p_wave_fraction=0.6, **af_rr)))[0] == "AFIB"
    # P waves before nearly every beat: an irregular sinus rhythm, not AF
    assert _codes(interpret(_measurements(p_wave_fraction=0.9, **af_rr)))[0] == "SR"
    # the same wave before every QRS, though the delineation missed it: not AF either
    locked = {**af_rr, "p_wave_lock": 0.9}
    assert "AFIB" not in _codes(interpret(_measurements(p_wave_fraction=0.6, **locked)))
    assert af[0].values["p_wave_lock"] == 0.1
    # an unknown lock leaves the decision to the P waves found
    unknown = {**af_rr, "p_wave_lock": None}
    assert _codes(interpret(_measurements(p_wave_fraction=0.6, **unknown)))[0] == "AFIB"
    # a repeating pattern (ectopy, low COSEn) or a small spread is not AF
    ectopy = interpret(_measurements(p_wave_fraction=0.1, rr_nrmssd=0.2, rr_cosen=-2.2))
    assert _codes(ectopy)[0] == "NOPW"
    regular = interpret(_measurements(p_wave_fraction=0.1, rr_nrmssd=0.03, rr_cosen=-0.5))
    assert _codes(regular)[0] == "NOPW"
    few = interpret(_measurements(p_wave_fraction=0.1, beat_count=5, **af_rr))
    assert "AFIB" not in _codes(few)


def test_atrial_flutter_needs_regular_atrial_waves_and_no_p_waves() -> None:
    waves: dict[str, Any] = {"atrial_rate_per_min": 280.0, "atrial_regularity": 0.65}
    # variable conduction
    irregular: dict[str, Any] = {"rr_nrmssd": 0.2, "rr_cosen": -0.5, "p_wave_lock": 0.1}
    flutter = interpret(_measurements(p_wave_fraction=0.0, heart_rate_bpm=70.0, **waves))
    assert _codes(flutter)[0] == "AFLT"
    assert flutter[0].values["atrial_rate_per_min"] == 280.0
    assert flutter[0].values["conduction_ratio"] == 4.0
    assert _codes(interpret(_measurements(p_wave_fraction=0.2, **waves, **irregular)))[0] == "AFLT"
    # P waves before most beats: sinus, whatever repeats between them
    assert _codes(interpret(_measurements(p_wave_fraction=0.9, **waves)))[0] == "SR"
    # waves not regular enough, or at a rate no flutter has
    weak = {**waves, "atrial_regularity": 0.4}
    assert _codes(interpret(_measurements(p_wave_fraction=0.0, **weak, **irregular)))[0] == "AFIB"
    slow = {**waves, "atrial_rate_per_min": 180.0}
    assert _codes(interpret(_measurements(p_wave_fraction=0.0, **slow)))[0] == "NOPW"


def test_ectopic_atrial_rhythm_by_p_polarity_or_axis() -> None:
    inverted = {"II": {"p": -0.1}, "aVR": {"p": 0.08}}
    assert _codes(interpret(_measurements(inverted, p_axis_deg=-60.0)))[0] == "EAR"
    assert _codes(interpret(_measurements(p_axis_deg=-10.0)))[0] == "SR"  # polarity decides
    no_limb = tuple(lm for lm in _measurements().leads if lm.lead not in ("II", "aVR"))
    left_axis = replace(_measurements(p_axis_deg=-60.0), leads=no_limb)
    assert _codes(interpret(left_axis))[0] == "EAR"
    assert _codes(interpret(replace(left_axis, p_axis_deg=60.0)))[0] == "SR"


def test_premature_complexes_are_counted() -> None:
    out = interpret(_measurements(premature_atrial_count=2, premature_ventricular_count=1))
    pac = next(s for s in out if s.code == "PAC")
    pvc = next(s for s in out if s.code == "PVC")
    assert (pac.values["count"], pvc.values["count"]) == (2, 1)
    assert out[-1].code == "ABNORM"


def test_first_degree_av_block_limit() -> None:
    assert "1AVB" in _codes(interpret(_measurements(pr_ms=210.0)))
    assert "1AVB" not in _codes(interpret(_measurements(pr_ms=200.0)))
    assert "1AVB" not in _codes(interpret(_measurements(pr_ms=None)))


LeadChanges = dict[str, dict[str, float]]
RBBB_LEADS: LeadChanges = {
    "V1": {"r": 0.3, "s": 0.5, "r_prime": 0.8, "terminal": 0.4, "rpt": 110},
    "I": {"terminal": -0.2}, "V6": {"terminal": -0.25},
}  # fmt: skip
LBBB_LEADS: LeadChanges = {
    "V1": {"r": 0.1, "s": 1.5, "terminal": -0.6}, "V5": {"rpt": 80}, "V6": {"rpt": 85, "q": 0.0},
}  # fmt: skip


@pytest.mark.parametrize(
    ("qrs", "leads", "code"),
    [
        (140.0, RBBB_LEADS, "CRBBB"), (115.0, RBBB_LEADS, "IRBBB"),
        (150.0, LBBB_LEADS, "CLBBB"), (114.0, LBBB_LEADS, "ILBBB"),
        (130.0, {}, "IVCD"),
    ],
)  # fmt: skip
def test_bundle_branch_blocks(qrs: float, leads: dict[str, dict[str, float]], code: str) -> None:
    out = interpret(_measurements(leads, qrs_duration_ms=qrs))
    conduction = [s for s in out if s.category == "conduction"]
    assert _codes(conduction) == [code]
    assert conduction[0].values["qrs_duration_ms"] == qrs
    assert "Surawicz" in conduction[0].criterion


def test_narrow_qrs_is_never_a_block_and_lbbb_with_q_waves_is_not_lbbb() -> None:
    assert not [
        s
        for s in interpret(_measurements(RBBB_LEADS, qrs_duration_ms=100.0))
        if s.category == "conduction"
    ]
    q_waves: LeadChanges = {**LBBB_LEADS, "V6": {"rpt": 85, "q": 0.3}}
    assert "CLBBB" not in _codes(interpret(_measurements(q_waves, qrs_duration_ms=150.0)))


@pytest.mark.parametrize(
    ("axis", "code"), [(-29.0, None), (-31.0, "LAD"), (90.0, None), (91.0, "RAD"), (-120.0, "NWAX")]
)
def test_axis_limits(axis: float, code: str | None) -> None:
    found = [s.code for s in interpret(_measurements(qrs_axis_deg=axis)) if s.category == "axis"]
    assert found == ([code] if code else [])


def test_left_anterior_fascicular_block() -> None:
    leads = {"aVL": {"q": 0.1, "r": 0.8, "s": 0.1}, "II": {"r": 0.2, "s": 0.8},
             "III": {"r": 0.1, "s": 1.0}, "aVF": {"r": 0.15, "s": 0.9}}  # fmt: skip
    assert "LAFB" in _codes(interpret(_measurements(leads, qrs_axis_deg=-60.0)))
    assert "LAFB" not in _codes(interpret(_measurements(leads, qrs_axis_deg=-40.0)))


def test_lvh_sokolow_and_sex_specific_cornell() -> None:
    sokolow = {"V1": {"s": 1.6}, "V5": {"r": 2.0}}
    hit = next(s for s in interpret(_measurements(sokolow)) if s.code == "VCLVH")
    assert hit.values["sokolow_lyon_mv"] == pytest.approx(3.6)
    cornell = {"aVL": {"r": 1.0}, "V3": {"s": 1.2}}  # 2.2 mV: > 2.0 (women), not > 2.8 (men)
    assert "VCLVH" in _codes(interpret(_measurements(cornell), sex="female"))
    assert "VCLVH" not in _codes(interpret(_measurements(cornell), sex="male"))
    assert "VCLVH" not in _codes(interpret(_measurements(cornell)))  # unknown: men's limit
    with_lbbb: LeadChanges = {**sokolow, **LBBB_LEADS, "V5": {"r": 2.0, "rpt": 80}}
    assert "VCLVH" not in _codes(interpret(_measurements(with_lbbb, qrs_duration_ms=150.0)))


def test_qtc_limits_depend_on_sex() -> None:
    assert "LNGQT" in _codes(interpret(_measurements(qtc_fridericia_ms=455.0), sex="male"))
    assert "LNGQT" not in _codes(interpret(_measurements(qtc_fridericia_ms=455.0), sex="female"))
    assert "LNGQT" not in _codes(interpret(_measurements(qtc_fridericia_ms=455.0)))
    assert "LNGQT" not in _codes(
        interpret(_measurements(qtc_fridericia_ms=480.0, qrs_duration_ms=150.0))
    )
    short = interpret(_measurements(qtc_fridericia_ms=330.0, qtc_bazett_ms=335.0))
    assert "SHTQT" in _codes(short)
    assert "LNGQT" not in _codes(
        interpret(_measurements(qtc_fridericia_ms=None, qtc_bazett_ms=None, qt_ms=None))
    )


def test_st_elevation_needs_two_contiguous_leads_and_sex_age_limits() -> None:
    inferior = {"II": {"st_j": 0.15}, "III": {"st_j": 0.2}}
    ste = next(s for s in interpret(_measurements(inferior)) if s.code == "STE_")
    assert "inferior" in ste.text
    assert ste.values["st_j_III_mv"] == 0.2
    lonely = {"II": {"st_j": 0.3}, "V4": {"st_j": 0.3}}  # not contiguous
    assert "STE_" not in _codes(interpret(_measurements(lonely)))
    v2v3 = {"V2": {"st_j": 0.18}, "V3": {"st_j": 0.18}}
    assert "STE_" in _codes(interpret(_measurements(v2v3), sex="female"))
    assert "STE_" not in _codes(interpret(_measurements(v2v3), sex="male", age=50))
    assert "STE_" not in _codes(interpret(_measurements(v2v3)))


def test_st_depression_must_persist_to_j60() -> None:
    flat = {"V5": {"st_j": -0.1, "st_j60": -0.1}, "V6": {"st_j": -0.08, "st_j60": -0.07}}
    assert "STD_" in _codes(interpret(_measurements(flat)))
    upsloping = {"V5": {"st_j": -0.1, "st_j60": 0.02}, "V6": {"st_j": -0.08, "st_j60": 0.0}}
    assert "STD_" not in _codes(interpret(_measurements(upsloping)))


def test_low_voltage() -> None:
    limb = {n: {"ptp": 0.4} for n in ("I", "II", "III")}
    assert "LVOLT" in _codes(interpret(_measurements(limb)))
    almost = {**limb, "III": {"ptp": 0.6}}
    assert "LVOLT" not in _codes(interpret(_measurements(almost)))


def test_poor_quality_stops_rhythm_and_morphology() -> None:
    poor = Quality(score=0.2, grade="poor", reason="poor: 12 of 12 leads unusable", leads=())
    out = interpret(_measurements(pr_ms=250.0, qrs_axis_deg=-60.0), quality=poor)
    assert _codes(out) == ["POORQ"]
    assert out[0].category == "quality"
    assert "12 of 12" in str(out[0].values["reason"])
    fair = Quality(score=0.5, grade="fair", reason="fair: V1 noisy", leads=())
    assert _codes(interpret(_measurements(), quality=fair)) == ["FAIRQ", "SR", "NORM"]


def test_too_few_beats_gives_no_interpretation_at_all() -> None:
    out = interpret(_measurements(beat_count=2, qrs_duration_ms=150.0, qrs_axis_deg=-60.0))
    assert _codes(out) == ["RHYNA"]
    assert out[0].values["beat_count"] == 2
    assert _codes(interpret(_measurements(beat_count=0, heart_rate_bpm=None))) == ["RHYNA"]


def test_every_statement_names_criterion_and_values() -> None:
    everything = _measurements({**RBBB_LEADS, "V1": {**RBBB_LEADS["V1"], "s": 2.0}, "V5": {"r": 2.0}},
                               qrs_duration_ms=140.0, pr_ms=230.0, qrs_axis_deg=-50.0,
                               premature_ventricular_count=1)  # fmt: skip
    for s in interpret(everything, sex="male", age=60):
        assert s.criterion
        assert s.text
        assert s.category in ("rhythm", "conduction", "axis", "hypertrophy", "repolarization",
                              "voltage", "quality", "summary")  # fmt: skip
        if s.category != "summary":
            assert s.values


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (Spec(), {"SR", "NORM"}),
        (Spec(hr_bpm=48, pr_ms=240), {"SBRAD", "1AVB"}),
        (Spec(conduction="rbbb"), {"CRBBB"}),
        (Spec(conduction="lbbb"), {"CLBBB"}),
        (Spec(rr_ms=af_rr_ms(100, 30, seed=4), p_present=False, af_wave_uv=40), {"AFIB"}),
        (Spec(voltage_scale=2.2), {"VCLVH"}),
        (Spec(qrs_axis_deg=-60), {"LAD"}),
        (Spec(st_mv={"II": 0.2, "III": 0.2, "aVF": 0.2}), {"STE_"}),
        (Spec(pvc_beats=(4,)), {"PVC"}),
    ],
)
def test_synthetic_ecgs_get_their_statements(spec: Spec, expected: set[str]) -> None:
    waveform, truth = synthesize(spec)
    codes = set(_codes(interpret(measure(waveform, delineation=truth.delineation, cleaned=True))))
    assert expected <= codes
