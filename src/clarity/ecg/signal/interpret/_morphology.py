"""Axis, hypertrophy and voltage rules.

Limits
------
* QRS axis (adults): normal −30° to +90°; left axis deviation −30° to −90°; right axis deviation
  +90° to +180°; −90° to −180° extreme ("northwest") axis (Surawicz et al. 2009; Kligfield et al.
  2007).
* LVH by voltage: Sokolow-Lyon SV1 + max(RV5, RV6) ≥ 3.5 mV (Sokolow and Lyon 1949); Cornell
  RaVL + SV3 > 2.8 mV in men, > 2.0 mV in women (Casale et al. 1987); the men's limit when the sex
  is unknown (the more specific one). Not applied with a bundle branch block, where voltage
  criteria lose their meaning (Hancock et al. 2009).
* Low QRS voltage: peak-to-peak QRS < 0.5 mV in each of I, II and III, or < 1.0 mV in each of
  V1-V6 (Minnesota Code 9-1, Prineas et al. 2010).

References
----------
Sokolow M, Lyon TP. The ventricular complex in left ventricular hypertrophy as obtained by unipolar
precordial and limb leads. Am Heart J 1949;37:161-186.
Casale PN et al. Improved sex-specific criteria of left ventricular hypertrophy for clinical and
computer interpretation of electrocardiograms. Circulation 1987;75:565-572.
Hancock EW et al. AHA/ACCF/HRS recommendations ... Part V: ECG changes associated with cardiac
chamber hypertrophy. Circulation 2009;119:e251-e261.
Prineas RJ, Crow RS, Zhang Z-M. The Minnesota Code Manual of Electrocardiographic Findings, 2nd
ed. Springer, 2010.
"""

from __future__ import annotations

from clarity.ecg.signal.interpret._statement import Context, Statement, statement
from clarity.ecg.signal.measure import Measurements

LAD_DEG = -30.0
RAD_DEG = 90.0
SOKOLOW_MV = 3.5
CORNELL_MV = {"male": 2.8, "female": 2.0}
LOW_LIMB_MV = 0.5
LOW_PRECORDIAL_MV = 1.0


def axis(m: Measurements) -> list[Statement]:
    """Left / right axis deviation or extreme axis from the frontal QRS axis."""
    a = m.qrs_axis_deg
    if a is None:
        return []
    if -90.0 <= a < LAD_DEG:
        return [statement("LAD", "Left axis deviation", "axis", "QRS axis −30° to −90°",
                          qrs_axis_deg=a)]  # fmt: skip
    if RAD_DEG < a <= 180.0:
        return [statement("RAD", "Right axis deviation", "axis", "QRS axis +90° to +180°",
                          qrs_axis_deg=a)]  # fmt: skip
    if -180.0 < a < -90.0:
        return [statement("NWAX", "Extreme (northwest) QRS axis", "axis",
                          "QRS axis −90° to −180°", qrs_axis_deg=a)]  # fmt: skip
    return []


def _amp(m: Measurements, lead: str, wave: str) -> float | None:
    lm = m.lead(lead)
    return None if lm is None else getattr(lm, f"{wave}_amplitude_mv")


def _tallest_r(m: Measurements, lead: str) -> float | None:
    r, r_prime = _amp(m, lead, "r"), _amp(m, lead, "r_prime")
    return None if r is None else max(r, r_prime or 0.0)


def hypertrophy(m: Measurements, ctx: Context, conduction_codes: set[str]) -> list[Statement]:
    """Voltage criteria for left ventricular hypertrophy (Sokolow-Lyon, Cornell)."""
    if conduction_codes & {"CLBBB", "CRBBB", "ILBBB"}:
        return []
    out = []
    sv1 = _amp(m, "V1", "s")
    rv5, rv6 = _tallest_r(m, "V5"), _tallest_r(m, "V6")
    if sv1 is not None and (rv5 is not None or rv6 is not None):
        sokolow = sv1 + max(rv5 or 0.0, rv6 or 0.0)
        if sokolow >= SOKOLOW_MV:
            out.append(statement("VCLVH", "Left ventricular hypertrophy by voltage (Sokolow-Lyon)",
                                 "hypertrophy", f"SV1 + max(RV5, RV6) ≥ {SOKOLOW_MV:g} mV "
                                 "(Sokolow-Lyon 1949)", sokolow_lyon_mv=sokolow, s_v1_mv=sv1,
                                 r_v5_mv=rv5, r_v6_mv=rv6))  # fmt: skip
    ravl, sv3 = _tallest_r(m, "aVL"), _amp(m, "V3", "s")
    if ravl is not None and sv3 is not None:
        limit = CORNELL_MV[ctx.sex or "male"]
        who = ctx.sex or "sex unknown, men's limit"
        if ravl + sv3 > limit:
            out.append(statement("VCLVH", "Left ventricular hypertrophy by voltage (Cornell)",
                                 "hypertrophy", f"RaVL + SV3 > {limit:g} mV ({who}) (Casale 1987)",
                                 cornell_mv=ravl + sv3, r_avl_mv=ravl, s_v3_mv=sv3))  # fmt: skip
    return out


def low_voltage(m: Measurements) -> list[Statement]:
    """Low QRS voltage in the limb or precordial leads (Minnesota Code 9-1)."""
    out = []
    for leads, limit, where in (
        (("I", "II", "III"), LOW_LIMB_MV, "limb"),
        (("V1", "V2", "V3", "V4", "V5", "V6"), LOW_PRECORDIAL_MV, "precordial"),
    ):
        ptp = [(name, lm.qrs_peak_to_peak_mv) for name in leads
               if (lm := m.lead(name)) is not None and lm.qrs_peak_to_peak_mv is not None]  # fmt: skip
        if len(ptp) == len(leads) and all(v < limit for _, v in ptp):
            out.append(statement("LVOLT", f"Low QRS voltage in the {where} leads", "voltage",
                                 f"QRS peak-to-peak < {limit:g} mV in each of "
                                 f"{', '.join(leads)} (Minnesota 9-1)",
                                 **{f"qrs_ptp_{name}_mv": v for name, v in ptp}))  # fmt: skip
    return out
