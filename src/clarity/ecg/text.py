"""The analysis as plain text for a terminal (``clarity analyze``)."""

from __future__ import annotations

from clarity.ecg.schemas import AnalysisRead

_ROWS = (
    ("Heart rate", "heart_rate_bpm", "bpm"), ("RR mean", "rr_mean_ms", "ms"), ("PR", "pr_ms", "ms"),
    ("QRS", "qrs_duration_ms", "ms"), ("QT", "qt_ms", "ms"), ("QTc Bazett", "qtc_bazett_ms", "ms"),
    ("QTc Fridericia", "qtc_fridericia_ms", "ms"), ("P axis", "p_axis_deg", "°"),
    ("QRS axis", "qrs_axis_deg", "°"), ("T axis", "t_axis_deg", "°"),
)  # fmt: skip


def format_analysis(result: AnalysisRead, *, title: str = "") -> str:
    """Quality, measurements and statements, one per line."""
    m = result.measurements
    lines = [title] if title else []
    lines.append(
        f"{result.duration_s:g} s at {result.sampling_rate:g} Hz, leads {', '.join(result.leads)}"
    )
    lines.append(
        f"Quality: {result.quality.grade} ({result.quality.score:.2f}) - {result.quality.reason}"
    )
    lines.append(
        f"Beats: {m.beat_count} ({m.premature_atrial_count} PAC, {m.premature_ventricular_count} PVC)"
    )
    for label, field, unit in _ROWS:
        value = getattr(m, field)
        lines.append(f"  {label:<15} {'-' if value is None else f'{value:.0f} {unit}'}")
    hrv = m.hrv
    if hrv.sdnn_ms is not None:
        rmssd = "-" if hrv.rmssd_ms is None else f"{hrv.rmssd_ms:.0f} ms"
        lines.append(f"  {'HRV':<15} SDNN {hrv.sdnn_ms:.0f} ms, RMSSD {rmssd}")
    lines.append("Interpretation:")
    lines.extend(f"  - {s.text}  [{s.criterion}]" for s in result.statements)
    return "\n".join(lines)
