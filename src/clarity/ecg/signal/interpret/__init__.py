"""Measurement-based 12-lead interpretation: published criteria applied to ``Measurements``.

Each rule lives with its limits and references in its module (``_rhythm``, ``_conduction``,
``_morphology``, ``_repolarization``). Every statement names the rule and carries the measured
values that triggered it. Poor signal quality stops rhythm and morphology statements and says so.
"""

from __future__ import annotations

from typing import Literal

from clarity.ecg.signal.interpret import _conduction, _morphology, _repolarization, _rhythm
from clarity.ecg.signal.interpret._statement import Category, Context, Statement, statement
from clarity.ecg.signal.measure import Measurements
from clarity.ecg.signal.quality import Quality

__all__ = ["Category", "Statement", "interpret"]

_NORMAL_RHYTHM = {"SR", "SARRH"}
_BENIGN_RATE = {"SBRAD", "STACH"}
_SECONDARY_ST = {"CLBBB", "CRBBB", "IVCD"}


def interpret(
    measurements: Measurements,
    *,
    quality: Quality | None = None,
    sex: Literal["male", "female"] | None = None,
    age: float | None = None,
) -> list[Statement]:
    """Interpretation statements for one ECG.

    Parameters
    ----------
    measurements : output of ``measure``.
    quality : output of ``assess_quality``; a poor grade stops all rhythm and morphology
        statements (one "poor quality, interpretation limited" statement instead).
    sex : selects the sex-specific limits (Cornell voltage, QTc, ST elevation in V2-V3); when
        unknown the more specific limit is used.
    age : years; selects the ST-elevation limit in V2-V3 for men.

    Returns
    -------
    list of Statement
        Rhythm, conduction, axis, hypertrophy, voltage and repolarization statements in that
        order, then a summary ("Normal ECG", "Otherwise normal ECG" or "Abnormal ECG").
    """
    if quality is not None and quality.grade == "poor":
        return [statement("POORQ", "Poor signal quality, interpretation limited", "quality",
                          "overall quality grade poor: rhythm and morphology are not interpreted",
                          quality_score=quality.score, reason=quality.reason)]  # fmt: skip
    ctx = Context(sex=sex, age=age)
    out = _quality_note(quality)
    rhythm = _rhythm.rhythm(measurements)
    if measurements.beat_count < _rhythm.MIN_BEATS_TO_INTERPRET:
        return [*out, *rhythm]  # two beats or fewer: nothing to interpret reliably
    codes = {s.code for s in rhythm}
    conduction = [
        *_conduction.av_block(measurements, codes),
        *_conduction.bundle_branch(measurements),
        *_conduction.fascicular(measurements),
    ]
    conduction_codes = {s.code for s in conduction}
    secondary = bool(conduction_codes & _SECONDARY_ST)
    findings = [
        *rhythm,
        *conduction,
        *_morphology.axis(measurements),
        *_morphology.hypertrophy(measurements, ctx, conduction_codes),
        *_morphology.low_voltage(measurements),
        *_repolarization.qt(measurements, ctx),
        *_repolarization.st_changes(measurements, ctx, excluded=secondary),
    ]
    return [*out, *findings, _summary(findings)]


def _quality_note(quality: Quality | None) -> list[Statement]:
    if quality is None or quality.grade != "fair":
        return []
    return [statement("FAIRQ", "Fair signal quality", "quality",
                      "overall quality grade fair: measurements may be less precise",
                      quality_score=quality.score, reason=quality.reason)]  # fmt: skip


def _summary(findings: list[Statement]) -> Statement:
    codes = {s.code for s in findings}
    if codes and codes <= _NORMAL_RHYTHM and "SR" in codes:
        return statement("NORM", "Normal ECG", "summary",
                         "sinus rhythm at 60-100 bpm and no abnormal finding")  # fmt: skip
    if codes and codes <= _NORMAL_RHYTHM | _BENIGN_RATE and codes & _BENIGN_RATE:
        return statement("NORM", "Otherwise normal ECG", "summary",
                         "no abnormal finding apart from the sinus rate")  # fmt: skip
    abnormal = sorted(codes - _NORMAL_RHYTHM)
    return statement("ABNORM", "Abnormal ECG", "summary",
                     "at least one abnormal finding", findings=", ".join(abnormal))  # fmt: skip
