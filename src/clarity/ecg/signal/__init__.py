"""Pure ECG signal processing: numpy/scipy only, no web, database or settings code.

The public API of the package: conditioning (``clean``), R peaks (``detect_r_peaks``),
delineation (``delineate``), quality (``assess_quality``), measurements (``measure``), HRV,
interpretation (``interpret``), the one-call resting-ECG pipeline (``analyze``) and the
constant-memory long-term summary (``analyze_stream``).
"""

from clarity.ecg.signal.analysis import EcgAnalysis, analyze
from clarity.ecg.signal.axis import Axes, frontal_axis_deg, wave_axis_deg
from clarity.ecg.signal.delineate import Delineation, delineate
from clarity.ecg.signal.filters import clean
from clarity.ecg.signal.hrv import Hrv, RunningHrv, hrv_from_peaks, hrv_from_rr, rr_intervals_ms
from clarity.ecg.signal.interpret import Statement, interpret
from clarity.ecg.signal.longterm import LongTermSummary, analyze_stream
from clarity.ecg.signal.measure import LeadMeasurements, Measurements, measure
from clarity.ecg.signal.peaks import RPeaks, detect_r_peaks
from clarity.ecg.signal.quality import LeadQuality, Quality, assess_quality

__all__ = [
    "Axes",
    "Delineation",
    "EcgAnalysis",
    "Hrv",
    "LeadMeasurements",
    "LeadQuality",
    "LongTermSummary",
    "Measurements",
    "Quality",
    "RPeaks",
    "RunningHrv",
    "Statement",
    "analyze",
    "analyze_stream",
    "assess_quality",
    "clean",
    "delineate",
    "detect_r_peaks",
    "frontal_axis_deg",
    "hrv_from_peaks",
    "hrv_from_rr",
    "interpret",
    "measure",
    "rr_intervals_ms",
    "wave_axis_deg",
]
