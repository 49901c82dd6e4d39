"""Repolarization rules: long and short QTc, ST elevation and depression in contiguous leads.

Limits
------
* Long QTc: Fridericia-corrected QT ≥ 450 ms in men, ≥ 460 ms in women (Rautaharju et al. 2009,
  who advise against Bazett's formula); the women's limit when the sex is unknown. Not called with
  QRS ≥ 120 ms, where the long QT is mostly depolarization.
* Short QTc: both Bazett and Fridericia QTc ≤ 340 ms (Priori et al. 2015, ESC guideline).
* ST elevation at the J point in two contiguous leads (Thygesen et al. 2018, 4th universal
  definition of MI): ≥ 0.1 mV in all leads except V2-V3, where the limit is 0.2 mV in men
  ≥ 40 years, 0.25 mV in men < 40 years and 0.15 mV in women (0.25 mV when sex or age is unknown,
  the most specific). ST depression: ≤ −0.05 mV at J and at J+60 ms (horizontal or
  downsloping) in two contiguous leads. Contiguous: two of II, III, aVF; I and aVL; neighbouring
  precordial leads (V1-V2 ... V5-V6), and V5 or V6 with I. Not called with a bundle branch block
  or a ventricular rhythm (secondary ST-T changes).

References
----------
Rautaharju PM et al. AHA/ACCF/HRS recommendations ... Part IV: the ST segment, T and U waves, and
the QT interval. Circulation 2009;119:e241-e250.
Priori SG et al. 2015 ESC guidelines for the management of patients with ventricular arrhythmias
and the prevention of sudden cardiac death. Eur Heart J 2015;36:2793-2867.
Thygesen K et al. Fourth universal definition of myocardial infarction (2018). Circulation
2018;138:e618-e651.
"""

from __future__ import annotations

from itertools import combinations, pairwise

from clarity.ecg.signal.interpret._statement import Context, Statement, statement
from clarity.ecg.signal.measure import Measurements

LONG_QTC_MS = {"male": 450.0, "female": 460.0}
SHORT_QTC_MS = 340.0
WIDE_QRS_MS = 120.0
STE_MV = 0.1
STD_MV = -0.05
_INFERIOR = ("II", "III", "aVF")
_PRECORDIAL = ("V1", "V2", "V3", "V4", "V5", "V6")
CONTIGUOUS: tuple[tuple[str, str], ...] = (
    *combinations(_INFERIOR, 2),
    ("I", "aVL"), ("V5", "I"), ("V6", "I"),
    *pairwise(_PRECORDIAL),
)  # fmt: skip
_REGION = {
    "II": "inferior", "III": "inferior", "aVF": "inferior", "I": "lateral", "aVL": "lateral",
    "V5": "lateral", "V6": "lateral", "V1": "septal", "V2": "septal", "V3": "anterior",
    "V4": "anterior",
}  # fmt: skip


def qt(m: Measurements, ctx: Context) -> list[Statement]:
    """Long or short QTc."""
    qtc_f, qtc_b = m.qtc_fridericia_ms, m.qtc_bazett_ms
    if qtc_f is None or qtc_b is None:
        return []
    wide = m.qrs_duration_ms is not None and m.qrs_duration_ms >= WIDE_QRS_MS
    limit = LONG_QTC_MS[ctx.sex or "female"]
    if qtc_f >= limit and not wide:
        who = ctx.sex or "sex unknown, women's limit"
        return [statement("LNGQT", "Prolonged QTc", "repolarization",
                          f"QTc (Fridericia) ≥ {limit:g} ms ({who}) (Rautaharju 2009)",
                          qtc_fridericia_ms=qtc_f, qtc_bazett_ms=qtc_b, qt_ms=m.qt_ms,
                          rr_mean_ms=m.rr_mean_ms)]  # fmt: skip
    if max(qtc_f, qtc_b) <= SHORT_QTC_MS:
        return [statement("SHTQT", "Short QTc", "repolarization",
                          f"QTc ≤ {SHORT_QTC_MS:g} ms by Bazett and Fridericia (ESC 2015)",
                          qtc_fridericia_ms=qtc_f, qtc_bazett_ms=qtc_b, qt_ms=m.qt_ms)]  # fmt: skip
    return []


def _ste_limit_mv(lead: str, ctx: Context) -> float:
    if lead not in ("V2", "V3"):
        return STE_MV
    if ctx.sex == "female":
        return 0.15
    if ctx.sex == "male" and ctx.age is not None and ctx.age >= 40:
        return 0.2
    return 0.25


def st_changes(m: Measurements, ctx: Context, excluded: bool) -> list[Statement]:
    """ST elevation / depression in two or more contiguous leads."""
    if excluded:
        return []
    st = {lm.lead: (lm.st_j_mv, lm.st_j60_mv) for lm in m.leads if lm.st_j_mv is not None}
    elevated = {n for n, (j, _) in st.items() if j is not None and j >= _ste_limit_mv(n, ctx)}
    depressed = {
        n for n, (j, j60) in st.items()
        if j is not None and j60 is not None and j <= STD_MV and j60 <= STD_MV
    }  # fmt: skip
    out = []
    for code, text, leads, rule in (
        ("STE_", "ST elevation", elevated, "ST at J ≥ 0.1 mV (V2-V3: sex/age limits)"),
        ("STD_", "ST depression", depressed, "ST ≤ −0.05 mV at J and J+60 ms"),
    ):
        hit = sorted(_contiguous(leads), key=_order)
        if hit:
            regions = sorted({_REGION[n] for n in hit})
            out.append(statement(
                code, f"{text}, {'/'.join(regions)} leads ({', '.join(hit)})", "repolarization",
                f"{rule} in ≥ 2 contiguous leads (Thygesen 2018)",
                **{f"st_j_{n}_mv": st[n][0] for n in hit},
                **{f"st_j60_{n}_mv": st[n][1] for n in hit},
            ))  # fmt: skip
    return out


def _contiguous(leads: set[str]) -> set[str]:
    return {lead for pair in CONTIGUOUS if set(pair) <= leads for lead in pair}


def _order(lead: str) -> int:
    names = ("I", "II", "III", "aVR", "aVL", "aVF", *_PRECORDIAL)
    return names.index(lead)
