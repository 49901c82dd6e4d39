"""Conduction rules: first-degree AV block, bundle branch blocks, fascicular block, IVCD.

Limits (adults)
---------------
* First-degree AV block: PR > 200 ms with sinus P waves (conventional adult limit).
* Complete RBBB (Surawicz et al. 2009): QRS ≥ 120 ms; rsR' in V1 or V2 (an R' after the S, or a
  late dominant R with R-peak time > 50 ms) with a positive terminal QRS; wide terminal S in I and
  V6 (negative terminal 40 ms). Incomplete RBBB: the same pattern with QRS 110-119 ms.
* Complete LBBB (Surawicz et al. 2009): QRS ≥ 120 ms; QS or rS in V1 (the negative deflection
  deeper than the R is high); R-peak time > 60 ms in V5 or V6; no q wave (< 0.1 mV) in I, V5 and V6.
  Incomplete LBBB: QRS 110-119 ms with the lateral pattern.
* Nonspecific intraventricular conduction delay: QRS > 110 ms without a bundle branch block pattern.
* Left anterior fascicular block (Surawicz et al. 2009): QRS axis −45° to −90°, qR in aVL, rS in II,
  III and aVF, QRS < 120 ms.

References
----------
Surawicz B, Childers R, Deal BJ, Gettes LS. AHA/ACCF/HRS recommendations for the standardization
and interpretation of the electrocardiogram. Part III: Intraventricular conduction disturbances.
Circulation 2009;119:e235-e240.
"""

from __future__ import annotations

from clarity.ecg.signal.interpret._statement import Statement, statement
from clarity.ecg.signal.measure import LeadMeasurements, Measurements

PR_LONG_MS = 200.0
QRS_COMPLETE_MS = 120.0
QRS_INCOMPLETE_MS = 110.0
RBBB_V1_RPT_MS = 50.0
LBBB_LATERAL_RPT_MS = 60.0
Q_ABSENT_MV = 0.1
R_PRIME_MV = 0.05
LAFB_AXIS_DEG = (-90.0, -45.0)

_SINUS = {"SR", "SBRAD", "STACH"}


def _lead(m: Measurements, name: str) -> LeadMeasurements | None:
    lm = m.lead(name)
    return lm if lm is not None and lm.r_amplitude_mv is not None else None


def av_block(m: Measurements, rhythm_codes: set[str]) -> list[Statement]:
    """First-degree AV block when the rhythm is sinus."""
    if m.pr_ms is None or not (rhythm_codes & _SINUS) or m.pr_ms <= PR_LONG_MS:
        return []
    return [statement("1AVB", "First-degree AV block", "conduction",
                      f"sinus rhythm with PR > {PR_LONG_MS:g} ms", pr_ms=m.pr_ms)]  # fmt: skip


def _rbbb_pattern(m: Measurements) -> bool:
    right = [lm for lm in (_lead(m, "V1"), _lead(m, "V2")) if lm is not None]
    left = [lm for lm in (_lead(m, "I"), _lead(m, "V6")) if lm is not None]
    if not right or not left:
        return False
    rsr = any(
        (lm.qrs_terminal_mv or 0.0) > 0
        and (
            (lm.r_prime_amplitude_mv or 0.0) >= R_PRIME_MV
            or (lm.r_peak_time_ms or 0.0) > RBBB_V1_RPT_MS
        )
        for lm in right
    )
    return rsr and all((lm.qrs_terminal_mv or 0.0) < 0 for lm in left)


def _lbbb_lateral(m: Measurements) -> bool:
    lateral = [lm for lm in (_lead(m, "V5"), _lead(m, "V6")) if lm is not None]
    no_q = [lm for lm in (_lead(m, "I"), _lead(m, "V5"), _lead(m, "V6")) if lm is not None]
    late_r = any((lm.r_peak_time_ms or 0.0) > LBBB_LATERAL_RPT_MS for lm in lateral)
    return late_r and bool(no_q) and all((lm.q_amplitude_mv or 0.0) < Q_ABSENT_MV for lm in no_q)


def _lbbb_v1(m: Measurements) -> bool:
    """QS or rS in V1: the deepest negative deflection outweighs the R wave."""
    v1 = _lead(m, "V1")
    if v1 is None:
        return False
    depth = max(v1.q_amplitude_mv or 0.0, v1.s_amplitude_mv or 0.0)
    return depth > (v1.r_amplitude_mv or 0.0)


def bundle_branch(m: Measurements) -> list[Statement]:
    """RBBB, LBBB (complete or incomplete) or IVCD from QRS duration and morphology."""
    qrs = m.qrs_duration_ms
    if qrs is None or qrs < QRS_INCOMPLETE_MS:
        return []
    complete = qrs >= QRS_COMPLETE_MS
    values = _bbb_values(m)
    if _rbbb_pattern(m):
        code, text = ("CRBBB", "Complete right bundle branch block") if complete else (
            "IRBBB", "Incomplete right bundle branch block")  # fmt: skip
        rule = "rsR' or late R in V1/V2 with positive terminal QRS, terminal S in I and V6"
    elif _lbbb_lateral(m) and (_lbbb_v1(m) or not complete):
        code, text = ("CLBBB", "Complete left bundle branch block") if complete else (
            "ILBBB", "Incomplete left bundle branch block")  # fmt: skip
        rule = "R-peak time > 60 ms in V5/V6, no q in I, V5, V6" + (
            ", QS/rS in V1" if complete else ""
        )
    elif qrs > QRS_INCOMPLETE_MS:
        return [statement("IVCD", "Nonspecific intraventricular conduction delay", "conduction",
                          "QRS > 110 ms without a bundle branch block pattern (Surawicz 2009)",
                          qrs_duration_ms=qrs)]  # fmt: skip
    else:
        return []
    limit = f"QRS ≥ {QRS_COMPLETE_MS:g} ms" if complete else "QRS 110-119 ms"
    return [statement(code, text, "conduction", f"{limit}; {rule} (Surawicz 2009)",
                      qrs_duration_ms=qrs, **values)]  # fmt: skip


def _bbb_values(m: Measurements) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in ("V1", "V6", "I"):
        lm = _lead(m, name)
        if lm is not None:
            out[f"r_peak_time_{name}_ms"] = lm.r_peak_time_ms
            out[f"qrs_terminal_{name}_mv"] = lm.qrs_terminal_mv
    return out


def fascicular(m: Measurements) -> list[Statement]:
    """Left anterior fascicular block."""
    axis, qrs = m.qrs_axis_deg, m.qrs_duration_ms
    if axis is None or qrs is None or qrs >= QRS_COMPLETE_MS:
        return []
    if not (LAFB_AXIS_DEG[0] <= axis <= LAFB_AXIS_DEG[1]):
        return []
    avl = _lead(m, "aVL")
    inferior = [lm for lm in (_lead(m, n) for n in ("II", "III", "aVF")) if lm is not None]
    qr_avl = (
        avl is not None
        and (avl.q_amplitude_mv or 0) > 0
        and (avl.r_amplitude_mv or 0) > (avl.s_amplitude_mv or 0)
    )
    rs_inferior = bool(inferior) and all(
        (lm.s_amplitude_mv or 0) > (lm.r_amplitude_mv or 0) for lm in inferior
    )
    if not (qr_avl and rs_inferior):
        return []
    return [statement("LAFB", "Left anterior fascicular block", "conduction",
                      "QRS axis −45° to −90°, qR in aVL, rS in II, III, aVF, QRS < 120 ms "
                      "(Surawicz 2009)", qrs_axis_deg=axis, qrs_duration_ms=qrs)]  # fmt: skip
