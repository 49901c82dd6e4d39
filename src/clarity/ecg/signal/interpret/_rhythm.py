"""Rhythm rules: sinus rhythm and its rate variants, sinus arrhythmia, atrial fibrillation,
atrial flutter, a regular rhythm without P waves, premature atrial and ventricular complexes.

Limits
------
* Sinus rhythm: P waves in at least half of the non-ventricular beats, upright in II and inverted
  in aVR (an atrial activation from the sinus node, high in the right atrium; Surawicz and
  Knilans, ch. 17); when II or aVR is missing, a frontal P axis of 0° to +90° instead. Rate
  60-100 bpm; below 60 sinus bradycardia, above 100 sinus tachycardia (conventional adult limits;
  Mason et al. 2007 statement list). P waves of another polarity: ectopic atrial rhythm.
* Sinus arrhythmia: NN intervals differing by more than 160 ms (longest minus shortest; Surawicz
  and Knilans, Chou's Electrocardiography, 6th ed., ch. 17).
* Atrial fibrillation: RR intervals irregular by both the normalised RMSSD (RMSSD / mean RR
  > 0.10; Dash et al. 2009) and the coefficient of sample entropy (COSEn > −1.4, the limit
  Lake and Moorman 2011 derived for 12-beat series), at least 6 beats, and P waves not
  consistently present: found before fewer than 80 % of the beats, where sinus rhythm has one
  before every QRS (the 20 % margin absorbs missed low-amplitude P waves), nor the same wave
  before every QRS: a P-wave lock (``clarity.ecg.signal.p_lock``) of 0.75 or more means a
  wave is locked to the QRS complexes even where the delineation found no P wave (noise, low or
  notched P waves in an irregular sinus rhythm). On MIT-BIH DS1's 10 s windows this vetoed 13 of
  the 53 false AF statements and none of the 174 true ones; on LUDB no statement changed
  (``benchmarks/bench_interpretation.py``). A regular rhythm with P waves before
  fewer than half of the beats is a regular rhythm without P waves.
* Atrial flutter: no P waves before half of the beats or more, and atrial waves between the QRS
  complexes that repeat at 200-350 a minute with an autocorrelation of at least 0.5
  (``clarity.ecg.signal.atrial``); checked before atrial fibrillation, since flutter with
  variable conduction has irregular RR intervals too. The ventricular rate over the atrial
  rate gives the conduction ratio. Sinus rhythm on LUDB stays below 0.45 and P waves are found
  in it, so a sinus rhythm is not called flutter; an interference of constant period with no
  P waves found can be.
* Premature complexes: counts from ``measure`` (RR prematurity + QRS morphology).

References
----------
Mason JW, Hancock EW, Gettes LS. Recommendations for the standardization and interpretation of the
electrocardiogram. Part II: Electrocardiography diagnostic statement list. Circulation
2007;115:1325-1332.
Dash S, Chon KH, Lu S, Raeder EA. Automatic real time detection of atrial fibrillation. Ann Biomed
Eng 2009;37:1701-1709.
Lake DE, Moorman JR. Accurate estimation of entropy in very short physiological time series: the
problem of atrial fibrillation detection in implanted ventricular devices. Am J Physiol Heart Circ
Physiol 2011;300:H319-H325.
"""

from __future__ import annotations

from clarity.ecg.signal.interpret._statement import Statement, statement
from clarity.ecg.signal.measure import Measurements
from clarity.ecg.signal.measure._beats import (
    ATRIAL_PREMATURITY,
    CORRELATION_LIMIT,
    VENTRICULAR_PREMATURITY,
    WIDE_QRS_MS,
    WIDER_THAN_DOMINANT_MS,
)
from clarity.ecg.signal.p_lock import LOCKED

BRADY_BPM = 60.0
TACHY_BPM = 100.0
MIN_P_FRACTION = 0.5
P_AXIS_DEG = (0.0, 90.0)
SINUS_ARRHYTHMIA_MS = 160.0
AF_NRMSSD = 0.10
AF_COSEN = -1.4
CONSISTENT_P_FRACTION = 0.8
MIN_BEATS = 6
MIN_BEATS_TO_INTERPRET = 3
FLUTTER_REGULARITY = 0.5
FLUTTER_RATE_PER_MIN = (200.0, 350.0)


def rhythm(m: Measurements) -> list[Statement]:
    """Rhythm statements; empty when the rate cannot be measured."""
    if m.heart_rate_bpm is None or m.beat_count < MIN_BEATS_TO_INTERPRET:
        return [statement("RHYNA", "Too few beats: no rhythm or morphology interpretation",
                          "rhythm", f"at least {MIN_BEATS_TO_INTERPRET} detected beats are needed",
                          beat_count=m.beat_count)]  # fmt: skip
    p_fraction = m.p_wave_fraction or 0.0
    if p_fraction < MIN_P_FRACTION and _flutter_waves(m):
        return [_flutter(m, p_fraction), *_ectopy(m, atrial=False)]
    locked = m.p_wave_lock is not None and m.p_wave_lock >= LOCKED
    if _af_like_rr(m) and p_fraction < CONSISTENT_P_FRACTION and not locked:
        af = statement(
            "AFIB", "Atrial fibrillation", "rhythm",
            f"irregular RR (RMSSD/mean RR > {AF_NRMSSD}, Dash 2009; COSEn > {AF_COSEN}, Lake and "
            f"Moorman 2011) without consistent P waves (< {CONSISTENT_P_FRACTION:.0%} of beats, "
            f"P-wave lock < {LOCKED})",
            p_wave_fraction=p_fraction, p_wave_lock=m.p_wave_lock, rr_nrmssd=m.rr_nrmssd,
            rr_cosen=m.rr_cosen,
            heart_rate_bpm=m.heart_rate_bpm,
        )  # fmt: skip
        return [af, *_ectopy(m, atrial=False)]
    if p_fraction < MIN_P_FRACTION:
        regular = statement(
            "NOPW", "Rhythm without visible P waves: consider junctional rhythm or atrial flutter",
            "rhythm", f"P waves before fewer than {MIN_P_FRACTION:.0%} of beats, RR not "
            "irregular like atrial fibrillation",
            p_wave_fraction=p_fraction, rr_nrmssd=m.rr_nrmssd, heart_rate_bpm=m.heart_rate_bpm,
        )  # fmt: skip
        return [regular, *_ectopy(m, atrial=False)]
    return [*_sinus(m, m.heart_rate_bpm, p_fraction), *_ectopy(m, atrial=True)]


def _flutter_waves(m: Measurements) -> bool:
    if m.atrial_regularity is None or m.atrial_rate_per_min is None:
        return False
    low, high = FLUTTER_RATE_PER_MIN
    return m.atrial_regularity >= FLUTTER_REGULARITY and low <= m.atrial_rate_per_min <= high


def _flutter(m: Measurements, p_fraction: float) -> Statement:
    atrial_rate = m.atrial_rate_per_min or 0.0
    ratio = atrial_rate / m.heart_rate_bpm if m.heart_rate_bpm else None
    low, high = FLUTTER_RATE_PER_MIN
    return statement(
        "AFLT", "Atrial flutter", "rhythm",
        f"regular atrial waves between the QRS complexes at {low:g}-{high:g}/min "
        f"(autocorrelation ≥ {FLUTTER_REGULARITY}) and no P waves before ≥ {MIN_P_FRACTION:.0%} "
        "of beats",
        atrial_rate_per_min=atrial_rate, atrial_regularity=m.atrial_regularity,
        heart_rate_bpm=m.heart_rate_bpm, p_wave_fraction=p_fraction,
        conduction_ratio=None if ratio is None else round(ratio, 1),
    )  # fmt: skip


def _af_like_rr(m: Measurements) -> bool:
    if m.beat_count < MIN_BEATS or m.rr_nrmssd is None or m.rr_nrmssd <= AF_NRMSSD:
        return False
    return m.rr_cosen is None or m.rr_cosen > AF_COSEN  # no COSEn match at all: unpredictable


def _sinus_p_wave(m: Measurements) -> tuple[bool | None, str]:
    """Is the P wave of sinus origin? None when neither polarity nor axis is measurable."""
    lead_ii, avr = m.lead("II"), m.lead("aVR")
    p_ii = None if lead_ii is None else lead_ii.p_amplitude_mv
    p_avr = None if avr is None else avr.p_amplitude_mv
    if p_ii is not None and p_avr is not None:
        return p_ii > 0 > p_avr, "P upright in II and inverted in aVR"
    if m.p_axis_deg is not None:
        low, high = P_AXIS_DEG
        return low <= m.p_axis_deg <= high, f"P axis {low:g}° to +{high:g}°"
    return None, "P wave polarity not measurable"


def _sinus(m: Measurements, hr: float, p_fraction: float) -> list[Statement]:
    sinus_p, p_rule = _sinus_p_wave(m)
    if sinus_p is False:
        return [statement(
            "EAR", "Ectopic atrial rhythm", "rhythm",
            f"P waves present but not of sinus origin (not: {p_rule})",
            p_axis_deg=m.p_axis_deg, p_wave_fraction=p_fraction, heart_rate_bpm=hr,
        )]  # fmt: skip
    p_rule = f"P waves in ≥ {MIN_P_FRACTION:.0%} of beats, {p_rule}"
    values = {"heart_rate_bpm": hr, "p_wave_fraction": p_fraction, "p_axis_deg": m.p_axis_deg}
    if hr < BRADY_BPM:
        out = [statement("SBRAD", "Sinus bradycardia", "rhythm",
                         f"{p_rule}, rate < {BRADY_BPM:g} bpm", **values)]  # fmt: skip
    elif hr > TACHY_BPM:
        out = [statement("STACH", "Sinus tachycardia", "rhythm",
                         f"{p_rule}, rate > {TACHY_BPM:g} bpm", **values)]  # fmt: skip
    else:
        out = [statement("SR", "Sinus rhythm", "rhythm",
                         f"{p_rule}, rate {BRADY_BPM:g}-{TACHY_BPM:g} bpm", **values)]  # fmt: skip
    spread = _nn_spread_ms(m)
    if spread is not None and spread > SINUS_ARRHYTHMIA_MS:
        out.append(statement(
            "SARRH", "Sinus arrhythmia", "rhythm",
            f"sinus rhythm with NN intervals varying by > {SINUS_ARRHYTHMIA_MS:g} ms",
            nn_spread_ms=spread, min_nn_ms=m.hrv.min_nn_ms, max_nn_ms=m.hrv.max_nn_ms,
        ))  # fmt: skip
    return out


def _nn_spread_ms(m: Measurements) -> float | None:
    if m.hrv.min_nn_ms is None or m.hrv.max_nn_ms is None or m.hrv.n_nn < 3:
        return None
    return m.hrv.max_nn_ms - m.hrv.min_nn_ms


def _ectopy(m: Measurements, *, atrial: bool) -> list[Statement]:
    out = []
    if atrial and m.premature_atrial_count:
        out.append(statement(
            "PAC", "Premature atrial complexes", "rhythm",
            f"RR shorter than {ATRIAL_PREMATURITY:.0%} of the local reference with a dominant-like "
            "QRS, in a regular underlying rhythm",
            count=m.premature_atrial_count, beat_count=m.beat_count,
        ))  # fmt: skip
    if m.premature_ventricular_count:
        out.append(statement(
            "PVC", "Premature ventricular complexes", "rhythm",
            f"QRS unlike the dominant beats (correlation < {CORRELATION_LIMIT}, also of the QRS-T "
            f"in a regular rhythm, or ≥ {WIDER_THAN_DOMINANT_MS:.0f} ms wider, "
            f"≥ {WIDE_QRS_MS:.0f} ms), premature by "
            f"> {1 - VENTRICULAR_PREMATURITY:.0%} or followed by a pause",
            count=m.premature_ventricular_count, beat_count=m.beat_count,
        ))  # fmt: skip
    return out
