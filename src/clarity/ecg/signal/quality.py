"""Signal quality of a multi-lead ECG: what is wrong with each lead, in numbers and in words.

Every lead is checked for seven problems, all measured on the raw (uncleaned) samples:

* **lead off**: the lead holds one exact value for at least 1 s (a disconnected electrode or a
  device that writes a constant while the lead is off);
* **flat line**: no cardiac activity, the 1-40 Hz content stays below 50 µV peak-to-peak
  over 1 s windows;
* **saturation**: plateaus of identical samples at the lead's extreme values (amplifier or ADC
  clipping), or an implausible amplitude (> 10 mV peak-to-peak);
* **high-frequency noise**: the noise floor at 20-150 Hz (muscle tremor, electrode noise), above
  the P and T waves, taken as the 20th percentile of the RMS over 200 ms windows of the samples
  between the QRS complexes (found on the QRS-band envelope), so that the complexes' own high
  frequencies do not count as noise at any heart rate (with all samples, a clean tachycardia at
  150-210 bpm measured 2.5-3.7 times the noise of the same signal at 60 bpm);
* **baseline wander**: peak-to-peak excursion of the content below 0.5 Hz (respiration, motion);
* **powerline interference**: the amplitude of a 50 or 60 Hz sinusoid standing above the
  neighbouring spectrum;
* **low QRS contrast**: noise inside the QRS band (5-20 Hz, where electrode motion lies and
  neither of the noise checks above looks): the QRS complexes stand less than 10 times above
  the slope envelope between them, in the lower quartile of 2.5 s windows, while the band
  carries more than 40 µV (a nearly isoelectric QRS in a clean lead has a low contrast too, but
  nothing else in that band). Mild at most: atrial fibrillation and flutter waves lie in the
  same band and must not stop an interpretation. Artefact louder than the QRS complexes in
  bursts can take their place in the envelope and escape it (``benchmarks/bench_quality.py``).

Each problem has a severity (mild, marked, unusable) from fixed limits. They are engineering
limits chosen against the noise levels of the MIT-BIH Noise Stress Test Database (Moody et al.
1984) and the 20-30 µV noise floor that diagnostic electrocardiographs achieve (IEC 60601-2-25),
not clinical criteria. The overall score averages the lead scores; the grade follows the score.

References
----------
Moody GB, Muldrow WE, Mark RG. A noise stress test for arrhythmia detectors. Computers in
Cardiology 1984;11:381-384.
Clifford GD, Behar J, Li Q, Rezek I. Signal quality indices and data fusion for determining
clinical acceptability of electrocardiograms. Physiol Meas 2012;33:1419-1433.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from clarity.ecg.signal import _quality_checks as checks
from clarity.ecg.signal._quality_checks import Issue, IssueKind, Severity
from clarity.ecg.signal.validate import as_signal
from clarity.ecg.waveform import Waveform

Grade = Literal["excellent", "good", "fair", "poor"]

_PENALTY: dict[Severity, float] = {"mild": 0.15, "marked": 0.4, "unusable": 1.0}
_GRADE_FLOOR: tuple[tuple[float, Grade], ...] = (
    (0.9, "excellent"), (0.7, "good"), (0.45, "fair"), (0.0, "poor"),
)  # fmt: skip

__all__ = ["Grade", "Issue", "IssueKind", "LeadQuality", "Quality", "Severity", "assess_quality"]


@dataclass(frozen=True)
class LeadQuality:
    """Quality of one lead.

    Attributes
    ----------
    lead : lead name.
    score : 0 (unusable) to 1 (clean).
    grade : excellent / good / fair / poor, from the score.
    issues : the problems found, worst first.
    noise_uv : high-frequency (20-150 Hz) noise floor, RMS µV.
    wander_mv : baseline excursion below 0.5 Hz, peak-to-peak mV.
    powerline_uv : 50/60 Hz amplitude, µV (0 when the sampling rate cannot show it).
    """

    lead: str
    score: float
    grade: Grade
    issues: tuple[Issue, ...]
    noise_uv: float
    wander_mv: float
    powerline_uv: float

    @property
    def usable(self) -> bool:
        """False when a problem makes the lead's waveform meaningless (lead off, flat, clipped)."""
        return all(issue.severity != "unusable" for issue in self.issues)

    @property
    def reason(self) -> str:
        """The problems in words, or that there are none."""
        if not self.issues:
            return f"{self.lead}: no problem found"
        return f"{self.lead}: " + "; ".join(issue.reason for issue in self.issues)


@dataclass(frozen=True)
class Quality:
    """Quality of a whole recording: per lead, plus an overall score, grade and reason."""

    score: float
    grade: Grade
    reason: str
    leads: tuple[LeadQuality, ...]

    @property
    def usable_leads(self) -> tuple[str, ...]:
        """Names of the leads whose waveform can be measured."""
        return tuple(lq.lead for lq in self.leads if lq.usable)

    def lead(self, name: str) -> LeadQuality:
        """Quality of one lead by name (KeyError when absent)."""
        for lq in self.leads:
            if lq.lead == name:
                return lq
        raise KeyError(name)


def assess_quality(waveform: Waveform) -> Quality:
    """Assess the signal quality of every lead of ``waveform`` and of the whole recording.

    Parameters
    ----------
    waveform : the ECG, raw (before cleaning), samples in mV.

    Returns
    -------
    Quality
        Per-lead issues with measured values and reasons, an overall score in [0, 1], a grade
        (excellent ≥ 0.9, good ≥ 0.7, fair ≥ 0.45, poor below) and a one-line reason.

    Raises
    ------
    InvalidSignal
        NaN or infinite samples (the API answers 422).
    SignalTooShort
        Less than 1 s of signal.
    """
    x = as_signal(waveform.samples, waveform.fs, min_duration_s=1.0)
    x = np.atleast_2d(x)
    metrics = checks.measure_all(x, waveform.fs)
    leads = tuple(
        _lead_quality(name, [issues[i] for issues in metrics.issues], metrics, i)
        for i, name in enumerate(waveform.leads)
    )
    score = float(np.mean([lq.score for lq in leads]))
    n_unusable = sum(not lq.usable for lq in leads)
    if n_unusable * 2 > len(leads):
        score = min(score, 0.3)
    grade = _grade(score)
    return Quality(round(score, 3), grade, _overall_reason(grade, leads), leads)


def _lead_quality(
    name: str, found: list[Issue | None], metrics: checks.Metrics, i: int
) -> LeadQuality:
    issues = sorted((f for f in found if f is not None), key=lambda f: -_PENALTY[f.severity])
    score = float(np.prod([1.0 - _PENALTY[f.severity] for f in issues])) if issues else 1.0
    return LeadQuality(
        lead=name,
        score=round(score, 3),
        grade=_grade(score),
        issues=tuple(issues),
        noise_uv=round(float(metrics.noise_uv[i]), 1),
        wander_mv=round(float(metrics.wander_mv[i]), 3),
        powerline_uv=round(float(metrics.powerline_uv[i]), 1),
    )


def _grade(score: float) -> Grade:
    return next(grade for floor, grade in _GRADE_FLOOR if score >= floor)


def _overall_reason(grade: Grade, leads: tuple[LeadQuality, ...]) -> str:
    bad = [lq for lq in leads if lq.issues]
    if not bad:
        return f"{grade}: no problem found in {len(leads)} leads"
    unusable = [lq.lead for lq in leads if not lq.usable]
    parts = [f"{grade}:"]
    if unusable:
        parts.append(f"{len(unusable)} of {len(leads)} leads unusable ({', '.join(unusable)});")
    worst = sorted(bad, key=lambda lq: lq.score)[:3]
    parts.append("; ".join(lq.reason for lq in worst))
    return " ".join(parts)
