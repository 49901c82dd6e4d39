"""Result types of :func:`clarity.ecg.signal.measure.measure`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clarity.ecg.signal.hrv import Hrv

BeatClass = Literal["N", "S", "V"]


@dataclass(frozen=True)
class LeadMeasurements:
    """Amplitudes and levels of one lead's representative (median) beat.

    Every amplitude is in mV relative to the isoelectric (PR-segment) level of that beat, and is
    None when the lead is unusable or the wave is absent.

    Attributes
    ----------
    lead : lead name.
    p_amplitude_mv : signed extreme of the P wave.
    q_amplitude_mv : depth (≥ 0) of the negative deflection before the R peak.
    r_amplitude_mv : height (≥ 0) of the largest positive QRS deflection.
    s_amplitude_mv : depth (≥ 0) of the largest negative deflection after the R peak (the QS
        depth when there is no R wave), as used by Sokolow-Lyon and Cornell.
    r_prime_amplitude_mv : height of a second positive deflection after the S wave (R'), 0 when
        there is none.
    qrs_peak_to_peak_mv : largest minus smallest value in the QRS.
    r_peak_time_ms : QRS onset to the peak of the last R wave (ventricular activation time).
    qrs_terminal_mv : mean level over the last 40 ms of the QRS (positive in V1, negative in I
        and V6 with a right bundle branch block).
    st_j_mv, st_j60_mv : ST level at the J point and 60 ms after it.
    t_amplitude_mv : signed extreme of the T wave.
    """

    lead: str
    p_amplitude_mv: float | None = None
    q_amplitude_mv: float | None = None
    r_amplitude_mv: float | None = None
    s_amplitude_mv: float | None = None
    r_prime_amplitude_mv: float | None = None
    qrs_peak_to_peak_mv: float | None = None
    r_peak_time_ms: float | None = None
    qrs_terminal_mv: float | None = None
    st_j_mv: float | None = None
    st_j60_mv: float | None = None
    t_amplitude_mv: float | None = None


@dataclass(frozen=True)
class Measurements:
    """Global measurements of an ECG, as a 12-lead program reports them.

    Intervals are representative values: medians over the dominant (non-ectopic) beats of the
    global delineation. Anything that cannot be measured is None: no PR without P waves, no QT
    without T-wave ends, no axis without limb leads.

    Attributes
    ----------
    fs : sampling frequency (Hz).
    duration_s : length of the record (s).
    beat_count : number of detected beats.
    heart_rate_bpm : ventricular rate, 60000 / mean RR.
    rr_mean_ms, rr_min_ms, rr_max_ms : RR interval statistics over all beats.
    pr_ms : P onset to QRS onset.
    p_duration_ms : P onset to P end.
    qrs_duration_ms : QRS onset to QRS end.
    qt_ms : QRS onset to T end.
    qtc_bazett_ms : QT / sqrt(RR in s) (Bazett 1920).
    qtc_fridericia_ms : QT / cube root of RR in s (Fridericia 1920).
    p_axis_deg, qrs_axis_deg, t_axis_deg : frontal axes (−180 to 180).
    hrv : time-domain HRV on normal-to-normal intervals.
    premature_atrial_count, premature_ventricular_count : premature supraventricular (S) and
        ventricular (V) beats.
    beat_classes : N, S or V for every beat.
    p_wave_fraction : fraction (0-1) of the N beats with a P wave (of all beats when none is N):
        a premature atrial beat's P wave often hides in the T wave before it.
    p_wave_lock : median over the non-ventricular beats of the correlation of the stretch before
        each QRS with that of its neighbours (``clarity.ecg.signal.p_lock``): near 1 when the
        same wave comes before every QRS, near 0 in atrial fibrillation. None with too few beats.
    rr_cv : coefficient of variation of the RR intervals touching neither a ventricular beat
        nor a complex cut by the record's ends.
    rr_nrmssd : RMSSD of those intervals over their mean (Dash et al. 2009).
    rr_cosen : coefficient of sample entropy of those intervals (Lake and Moorman 2011): high
        for the unpredictable RR of atrial fibrillation, low for sinus rhythm and for repeating
        patterns of ectopy.
    atrial_rate_per_min, atrial_regularity : rate (200-350 /min searched) and regularity (0-1,
        autocorrelation) of the most regular atrial waves between the QRS complexes, from
        leads II, III, aVF and V1 where present (``clarity.ecg.signal.atrial``): flutter
        waves reach about 0.6, sinus rhythm stays below 0.45. None for records under 4 s.
    leads : per-lead amplitudes, in the waveform's lead order.
    """

    fs: float
    duration_s: float
    beat_count: int
    heart_rate_bpm: float | None
    rr_mean_ms: float | None
    rr_min_ms: float | None
    rr_max_ms: float | None
    pr_ms: float | None
    p_duration_ms: float | None
    qrs_duration_ms: float | None
    qt_ms: float | None
    qtc_bazett_ms: float | None
    qtc_fridericia_ms: float | None
    p_axis_deg: float | None
    qrs_axis_deg: float | None
    t_axis_deg: float | None
    hrv: Hrv
    premature_atrial_count: int
    premature_ventricular_count: int
    beat_classes: tuple[BeatClass, ...]
    p_wave_fraction: float | None
    p_wave_lock: float | None
    rr_cv: float | None
    rr_nrmssd: float | None
    rr_cosen: float | None
    atrial_rate_per_min: float | None
    atrial_regularity: float | None
    leads: tuple[LeadMeasurements, ...]

    def lead(self, name: str) -> LeadMeasurements | None:
        """Measurements of one lead, or None when the recording does not have it."""
        return next((lm for lm in self.leads if lm.lead == name), None)
