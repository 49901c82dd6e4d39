"""Delineation accuracy on LUDB records 1-160, against NeuroKit2's wavelet delineator.

Every record (10 s, 12 leads, 500 Hz) is delineated twice, from two sets of R peaks:
``reference`` (the per-beat median of the 12 leads' annotated QRS peaks) and ``detected``
(``clarity.ecg.signal.peaks.detect_r_peaks`` on the cleaned 12-lead record, end to end). Both
delineators get the same R peaks; Clarity works on ``clarity.ecg.signal.filters.clean`` output,
NeuroKit2 (``ecg_delineate(method="dwt")``) on its own ``ecg_clean`` output, lead by lead.

Scoring (``delineation_scoring``, Martinez et al. 2004): per fiducial point, one-to-one matching
within 150 ms, closest pairs first; sensitivity, positive predictivity (a detection counts as a
false positive only inside the annotated span) and mean ± SD of detected - annotated (ms) over
the matches. Four views:

* ``single lead, all leads``: ``delineate(x[lead])`` (1-D) against that lead's annotations, for
  each of the 12 leads (the standard per-lead way; NeuroKit2 likewise).
* ``single lead, lead II``: the same, lead II only.
* ``12-lead, per lead``: the per-lead results of the 12-lead delineation (``Delineation.leads``,
  each within a few ms of the global points) against each lead's annotations.
* ``12-lead, global``: the global delineation against a global reference, the per-beat median of
  the 12 leads' annotations (beats annotated in >= 6 leads), inside the median span. This is the
  view the CSE tolerances were defined for (a program's global measurement against the median of
  the referees). NeuroKit2 has no global mode: its 12 single-lead results are combined by the
  same per-beat median for comparison. The view is repeated without the paced records
  (``Cardiac pacing`` in the diagnoses): neither delineator knows pacing spikes, and LUDB puts
  the QRS onset after the spike.

Targets (issue): |mean| <= 5 ms for QRS on/off and <= 10 ms for the P and T points; SD within the
CSE tolerances (P on 10.2, P off 12.7, QRS on 6.5, QRS off 11.6, T off 30.6 ms); better than
NeuroKit2 on every point (marked ``>nk``: smaller SD, |mean| no larger than NeuroKit2's or within
the target, and F1 = 2 Se PPV / (Se + PPV) not lower).

Run: ``python benchmarks/bench_delineation.py [--quick] [--ludb PATH] [--no-neurokit] [--rates]``
(``--quick``: every fourth record; ``--rates``: the global view again with LUDB resampled to
1000, 360, 250, 128, 100 and 80 Hz, errors in ms against the 500 Hz annotations).
Records 161-200 are held back for independent evaluation.

Results of the latest full run (records 1-160; 2 shared cores, loaded machine; 2026-12-06,
second run of the day, after the global QRS end from the spatial velocity).
Columns: Clarity Se %, PPV %, mean ± SD ms | NeuroKit2 dwt the same; marks: ``SD>CSE``
the SD misses the CSE tolerance, ``MEAN`` the mean misses its target, ``>nk``/``NOT>nk`` the
comparison with NeuroKit2 (definition above).
    === R peaks: reference ===
      single lead, all leads
        p_onset     86.45  94.41    +1.3 ± 15.8 |  97.15  81.66   -12.1 ± 37.6  SD>CSE >nk
        p_peak      86.52  94.34    +1.6 ± 13.2 |  97.19  81.60   -19.2 ± 40.0  >nk
        p_offset    86.55  94.21    +3.7 ± 18.0 |  96.65  81.02   -18.8 ± 43.0  SD>CSE >nk
        qrs_onset   99.36  99.33    +1.1 ± 16.9 |  79.98  92.71   -59.4 ± 46.8  SD>CSE >nk
        qrs_offset  99.90  99.86    -2.3 ± 15.8 |  90.58  98.52    -0.5 ± 27.1  SD>CSE >nk
        t_peak      92.05  97.86    +1.3 ± 20.5 |  76.40  81.60   -15.6 ± 49.3  >nk
        t_offset    91.44  97.67    +6.6 ± 23.4 |  75.38  80.54   -19.0 ± 40.8  >nk
      single lead, lead II
        p_onset     91.53  94.89    +3.3 ± 12.6 |  99.07  83.20    -0.3 ± 25.3  SD>CSE >nk
        p_peak      91.63  94.99    +0.8 ±  9.4 |  98.88  82.98    -4.9 ± 23.3  >nk
        p_offset    91.63  94.99    -0.5 ± 12.9 |  98.51  82.35    -3.6 ± 31.4  SD>CSE >nk
        qrs_onset   99.51  99.10    +1.8 ± 17.6 |  93.35  97.47   -49.0 ± 44.3  SD>CSE >nk
        qrs_offset  99.93  99.93    -3.0 ± 16.5 |  87.98  95.74    +9.5 ± 28.5  SD>CSE >nk
        t_peak      91.80  97.48    +1.9 ± 17.8 |  84.44  88.16    -8.0 ± 35.8  >nk
        t_offset    91.26  97.86    +6.5 ± 20.6 |  82.84  86.48   -14.0 ± 32.3  >nk
      12-lead, per lead
        p_onset     96.59  97.61    -2.1 ± 17.5  SD>CSE
        p_peak      96.62  97.54    +1.2 ± 15.6
        p_offset    96.62  97.51    +6.0 ± 17.5  SD>CSE
        qrs_onset   99.99  99.31    +1.8 ± 10.7  SD>CSE
        qrs_offset  99.99  99.88    -0.3 ± 11.3
        t_peak      99.62  99.28    +1.5 ± 20.6
        t_offset    99.57  99.17    +7.8 ± 23.7
      12-lead, global
        p_onset     96.65  97.74    +0.6 ±  7.8 |  99.07  81.36    -8.3 ± 24.4  >nk
        p_peak      96.65  97.65    +2.8 ±  6.5 |  99.44  81.73   -14.5 ± 27.6  >nk
        p_offset    96.65  97.65    +4.3 ±  7.9 |  99.07  81.48   -17.8 ± 32.2  >nk
        qrs_onset  100.00  99.73    +1.8 ±  6.4 |  98.49  98.42   -60.6 ± 34.7  >nk
        qrs_offset 100.00 100.00    +1.1 ±  5.7 |  99.86  99.86    +0.0 ± 13.5  >nk
        t_peak      99.69  99.85    +1.4 ± 11.7 |  95.18  95.26   -25.8 ± 39.7  >nk
        t_offset    99.77  99.85    +7.3 ± 13.9 |  89.14  89.00   -26.8 ± 33.0  >nk
      12-lead, global, unpaced records
        p_onset     96.63  98.47    +0.6 ±  7.9 |  99.06  85.74    -8.4 ± 24.4  >nk
        p_peak      96.63  98.38    +2.8 ±  6.6 |  99.44  86.13   -14.7 ± 27.5  >nk
        p_offset    96.63  98.38    +4.3 ±  7.9 |  99.06  85.88   -18.0 ± 32.2  >nk
        qrs_onset  100.00 100.00    +1.9 ±  5.4 |  98.69  98.76   -61.4 ± 34.5  >nk
        qrs_offset 100.00 100.00    +0.8 ±  5.2 |  99.85  99.85    +0.6 ± 11.5  >nk
        t_peak      99.68  99.84    +1.6 ± 11.8 |  95.54  95.62   -26.2 ± 39.8  >nk
        t_offset    99.76  99.84    +7.6 ± 14.1 |  89.53  89.38   -27.2 ± 33.1  >nk
      time per 12-lead record: Clarity 12.6 ms (global + per lead), NeuroKit2 595 ms (12 single leads): 47x
    === R peaks: detected ===
      single lead, all leads
        p_onset     85.42  94.83    +1.5 ± 15.5 |  97.28  81.63    -8.3 ± 36.6  SD>CSE >nk
        p_peak      85.51  94.80    +1.8 ± 12.7 |  97.34  81.62   -14.9 ± 38.5  >nk
        p_offset    85.53  94.63    +3.9 ± 17.7 |  96.97  81.09   -14.3 ± 40.7  SD>CSE >nk
        qrs_onset   99.27  99.33    +1.2 ± 16.9 |  78.04  93.70   -55.4 ± 48.3  SD>CSE >nk
        qrs_offset  99.93  99.86    -2.3 ± 15.9 |  90.89  98.25    +0.9 ± 27.4  SD>CSE >nk
        t_peak      92.10  97.82    +1.4 ± 20.6 |  78.29  83.01   -14.8 ± 49.5  >nk
        t_offset    91.62  97.59    +6.8 ± 23.5 |  77.16  81.82   -18.6 ± 41.3  >nk
      single lead, lead II
        p_onset     90.60  94.20    +3.3 ± 11.3 |  99.07  82.62    +2.0 ± 21.9  SD>CSE >nk
        p_peak      90.70  94.29    +1.1 ±  7.9 |  99.26  82.78    -2.8 ± 19.5  >nk
        p_offset    90.70  94.29    -0.1 ± 11.9 |  99.16  82.25    -0.8 ± 27.3  >nk
        qrs_onset   99.31  99.10    +2.2 ± 16.8 |  92.72  97.66   -50.2 ± 43.8  SD>CSE >nk
        qrs_offset 100.00  99.93    -3.0 ± 16.9 |  90.25  95.56    +9.1 ± 31.2  SD>CSE >nk
        t_peak      91.65  97.47    +1.9 ± 17.9 |  87.51  89.36    -8.2 ± 36.7  >nk
        t_offset    91.49  97.71    +6.7 ± 21.1 |  85.90  87.72   -14.3 ± 33.7  >nk
      12-lead, per lead
        p_onset     96.68  97.79    -2.1 ± 17.5  SD>CSE
        p_peak      96.70  97.73    +1.3 ± 15.6
        p_offset    96.70  97.68    +6.0 ± 17.4  SD>CSE
        qrs_onset  100.00  99.31    +1.9 ± 10.7  SD>CSE
        qrs_offset 100.00  99.87    -0.3 ± 11.4
        t_peak      99.47  99.13    +1.6 ± 20.6
        t_offset    99.45  99.05    +8.0 ± 23.8
      12-lead, global
        p_onset     96.74  97.93    +0.6 ±  7.8 |  99.16  81.25    -5.0 ± 22.4  >nk
        p_peak      96.74  97.84    +2.8 ±  6.4 |  99.72  81.96   -10.3 ± 24.6  >nk
        p_offset    96.74  97.84    +4.3 ±  7.9 |  99.26  81.64   -12.5 ± 27.8  >nk
        qrs_onset  100.00  99.73    +1.8 ±  6.4 |  98.55  98.35   -54.4 ± 38.4  >nk
        qrs_offset 100.00 100.00    +1.1 ±  5.9 |  99.66  99.66    +0.2 ± 17.0  >nk
        t_peak      99.54  99.69    +1.4 ± 11.7 |  95.64  95.64   -23.6 ± 37.6  >nk
        t_offset    99.62  99.69    +7.4 ± 14.0 |  90.82  90.75   -27.1 ± 33.5  >nk
      12-lead, global, unpaced records
        p_onset     96.72  98.66    +0.6 ±  7.8 |  99.16  85.68    -5.0 ± 22.1  >nk
        p_peak      96.72  98.57    +2.8 ±  6.4 |  99.72  86.37   -10.4 ± 24.5  >nk
        p_offset    96.72  98.57    +4.3 ±  7.9 |  99.25  86.04   -12.7 ± 27.6  >nk
        qrs_onset  100.00 100.00    +2.0 ±  5.5 |  99.13  99.05   -53.9 ± 38.1  >nk
        qrs_offset 100.00 100.00    +0.8 ±  5.4 |  99.64  99.64    +2.5 ±  9.7  >nk
        t_peak      99.51  99.68    +1.6 ± 11.8 |  96.11  96.11   -23.5 ± 37.3  >nk
        t_offset    99.59  99.68    +7.7 ± 14.2 |  91.96  91.89   -27.6 ± 33.6  >nk
      time per 12-lead record: Clarity 11.4 ms (global + per lead), NeuroKit2 576 ms (12 single leads): 51x

    Other rates (12-lead global, reference R peaks; mean ± SD ms; ``--rates``):
        Hz    P on      P peak    P off     QRS on    QRS off   T peak    T off      Se
        1000  +0.6±7.8  +2.8±6.5  +4.3±8.0  +1.7±6.5  +1.1±5.7  +1.4±11.7 +7.3±13.9 >=96.7%
         360  +1.5±8.9  +3.0±7.9  +3.7±8.7  +1.3±6.7  +1.4±6.6  +1.4±11.7 +7.4±13.9 >=96.9%
         250  +0.5±8.2  +2.6±7.2  +4.3±8.2  +0.4±7.0  +2.2±6.2  +1.6±12.4 +7.4±14.6 >=97.4%
         128  -2.1±8.8  +2.5±7.3  +6.0±8.2  -4.9±10.9 +5.3±6.7  +1.6±12.6 +7.2±14.7 >=97.2%
         100  -3.8±9.0  +2.4±7.6  +7.2±8.4  -7.7±11.9 +7.5±7.2  +1.7±12.6 +7.9±14.9 >=96.7%
          80  -5.3±9.7  +1.9±7.9  +7.3±9.4  -11.4±12.3 +11.2±7.3 +1.4±12.4 +6.5±14.9 >=95.3%

Reading: better than NeuroKit2 on every point of every view. The global (12-lead) delineation meets
every mean target and every CSE SD tolerance, over all 160 records as over the 150 unpaced ones: P
on 7.8 ms (10.2), P off 7.9 (12.7), QRS on 6.4 (6.5; 5.4-5.5 unpaced), QRS off 5.7-5.9 (11.6), T
off 13.9-14.0 (30.6). The global QRS end (2026-12-06, second run) is the later of the median of the
leads' own ends and the end of the QRS in the leads' spatial velocity (where it falls under 10 % of
its QRS peak after it last stood at 20 % of it within 80 ms of the R fiducial), kept within 4 ms of
the typical R-to-end distance for beats of the dominant shape, as the onset is: a terminal wave
seen in a few leads only (the R' of V1 and the slurred S of I and V6 in right bundle branch block)
now belongs to the QRS. Global QRS off went from -1.1 ± 6.6 to +1.1 ± 5.7 ms over all records (odd
records 7.0 -> 6.2 ms SD, even 6.1 -> 4.3, from a per-beat check against the same reference),
complete RBBB records 10 and 108 from 24 and 11 ms early on average to 3 and 2 ms late; the
per-lead QRS off, which follows the global one, now meets its CSE tolerance too (11.3-11.4 ms). The
20 % level is a narrow choice: at 15 % the F wave in the ST segment of the 2:1 flutter of record 35
joined its QRS (22 ms late), at 22 % the R' of records 10 and 108 fell out again. At low rates the
end comes later than before (+11.2 ms at 80 Hz, one sample; was +9.3) with a smaller SD. The 10
paced records (``Cardiac pacing`` in ``ludb.csv``, with record 72's P-synchronous pacing) still
score worst on QRS on: their annotators do not share one convention (record 72's mark the stimulus,
record 93's 34-42 ms after it, record 111's anywhere from 8 to 50 ms after) and record 90's bipolar
stimuli are too small to detect. What took QRS on from 7.2-7.3 ms (2026-11-22) to 6.4: weaker
firings of an established pacing dipole count (30 % of its slope, was 40 %); the quiet-baseline
window of a spike ends 10 ms before it (record 74's wide stimuli were missed); a paced QRS starts
where the evoked response passes 15 % of its peak speed (6 % for conducted beats); and (2026-12-06)
beats of the record's dominant QRS shape (their multilead QRS slopes correlate >= 0.8 with the
median beat) keep their global onset within 4 ms of the shape's median R-to-onset distance, as a
program measuring on the median beat would: an F or f wave or noise running into one QRS no longer
moves that beat's onset (records 35, 52 of atrial flutter: single beats 18-24 ms early before).
That step took QRS on from 6.7 to 6.4 ms over all records, 5.7 to 5.4 unpaced, and from 6.2 to 6.1
(odd records) and 7.0 to 6.6 (even) on each half separately; it changes nothing with one lead.
Global P points are the median of the leads that show the P wave (before: of all leads), which took
P on from 10.2 to 7.8 ms SD: where the P wave is tiny (record 56), the other leads had found other
waves. Per-lead scores are bounded by how much LUDB's per-lead annotations scatter around their own
per-beat median (assigning that median to every lead scores P on 17.7, P off 17.2, QRS on 8.9, QRS
off 10.8, T off 23.5 ms SD on records 1-160), so per-lead SDs stay above the CSE tolerances, except
QRS off since the spatial-velocity end (11.3-11.4 ms against 11.6). Single-lead P waves: a first
pass gives the lead's typical PR, the second searches from 80 ms before that P apex on, with lower
amplitude and dominance limits but a steadier PR (constants chosen on odd records, F1 90.4-90.5
there and 90.0-90.1 on even ones); sensitivity went from 76 to 86 % at a PPV of 94 % (NeuroKit2: 97
%, 82 %), so the single-lead P points now beat NeuroKit2's F1 as well as its error."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clarity.ecg.signal.delineate import delineate
from clarity.ecg.signal.filters import clean
from delineation_scoring import (
    POINTS,
    LudbRecord,
    PointScore,
    Scoreboard,
    load_ludb,
    median_reference,
    median_span,
)

IntArray = npt.NDArray[np.int64]
Points = dict[str, IntArray]

ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ludb" / "data"
LEAD_II = 1
TOLERANCE_MS = 150.0
CSE_SD_MS = {
    "p_onset": 10.2,
    "p_offset": 12.7,
    "qrs_onset": 6.5,
    "qrs_offset": 11.6,
    "t_offset": 30.6,
}
MAX_MEAN_MS = {name: 5.0 if name.startswith("qrs") else 10.0 for name in POINTS}
NK_KEYS = {
    "p_onset": "ECG_P_Onsets",
    "p_peak": "ECG_P_Peaks",
    "p_offset": "ECG_P_Offsets",
    "qrs_onset": "ECG_R_Onsets",
    "qrs_offset": "ECG_R_Offsets",
    "t_peak": "ECG_T_Peaks",
    "t_offset": "ECG_T_Offsets",
}
VIEWS = (
    "single lead, all leads",
    "single lead, lead II",
    "12-lead, per lead",
    "12-lead, global",
    "12-lead, global, unpaced records",
)


@dataclass
class Run:
    """Scores of one delineator from one R-peak source, per view, and its time."""

    boards: dict[str, Scoreboard] = field(default_factory=lambda: {v: Scoreboard() for v in VIEWS})
    seconds: float = 0.0


def _global_board(board: Scoreboard, rec: LudbRecord, points: Points) -> None:
    span = median_span(rec)
    for name, score in board.points.items():
        score.add(median_reference(rec, name), points[name], span, rec.fs, TOLERANCE_MS)


def _median_of_leads(per_lead: list[Points]) -> Points:
    out: Points = {}
    for name in POINTS:
        stacked = np.stack([p[name] for p in per_lead]).astype(np.float64)
        stacked[stacked < 0] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN beats are absent
            med = np.nanmedian(stacked, axis=0)
        out[name] = np.where(np.isfinite(med), np.round(med), -1).astype(np.int64)
    return out


def run_clarity(rec: LudbRecord, r_idx: IntArray, run: Run) -> None:
    """Single-lead and 12-lead Clarity delineation of one record, scored."""
    x = clean(rec.samples, rec.fs)
    t0 = time.perf_counter()
    full = delineate(x, rec.fs, r_idx)
    run.seconds += time.perf_counter() - t0
    for lead, ref in enumerate(rec.leads):
        single = delineate(x[lead], rec.fs, r_idx)
        points = {name: single.point(name) for name in POINTS}
        run.boards["single lead, all leads"].add_lead(ref, points, rec.fs, TOLERANCE_MS)
        if lead == LEAD_II:
            run.boards["single lead, lead II"].add_lead(ref, points, rec.fs, TOLERANCE_MS)
        per_lead = {name: full.leads[lead].point(name) for name in POINTS}
        run.boards["12-lead, per lead"].add_lead(ref, per_lead, rec.fs, TOLERANCE_MS)
    global_points = {n: full.point(n) for n in POINTS}
    _global_board(run.boards["12-lead, global"], rec, global_points)
    if not rec.paced:
        _global_board(run.boards["12-lead, global, unpaced records"], rec, global_points)


def _nk_lead(
    nk: object, x: npt.NDArray[np.float64], fs: float, r_idx: IntArray
) -> tuple[Points, float]:
    """NeuroKit2 points of one lead and the seconds its delineation took (cleaning excluded)."""
    empty = {name: np.zeros(0, dtype=np.int64) for name in POINTS}
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cleaned = nk.ecg_clean(x, sampling_rate=fs)  # type: ignore[attr-defined]
            t0 = time.perf_counter()
            _, waves = nk.ecg_delineate(  # type: ignore[attr-defined]
                cleaned, rpeaks=r_idx, sampling_rate=fs, method="dwt"
            )
    except Exception:
        return empty, time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    out: Points = {}
    for name, key in NK_KEYS.items():
        values = np.asarray(waves.get(key, []), dtype=np.float64)
        out[name] = values[np.isfinite(values)].astype(np.int64)
    return out, seconds


def _nk_per_beat(points: Points, r_idx: IntArray, fs: float) -> Points:
    """NeuroKit2 points re-aligned one per beat (nearest to each R peak), for the median."""
    out: Points = {}
    for name, values in points.items():
        aligned = np.full(r_idx.size, -1, dtype=np.int64)
        if values.size:
            nearest = np.abs(values[None, :] - r_idx[:, None]).argmin(axis=1)
            close = np.abs(values[nearest] - r_idx) <= 0.5 * fs
            aligned[close] = values[nearest[close]]
        out[name] = aligned
    return out


def run_neurokit(nk: object, rec: LudbRecord, r_idx: IntArray, run: Run) -> None:
    """NeuroKit2 dwt delineation of every lead of one record, scored."""
    per_lead = []
    for lead, ref in enumerate(rec.leads):
        points, seconds = _nk_lead(nk, rec.samples[lead], rec.fs, r_idx)
        run.seconds += seconds
        run.boards["single lead, all leads"].add_lead(ref, points, rec.fs, TOLERANCE_MS)
        if lead == LEAD_II:
            run.boards["single lead, lead II"].add_lead(ref, points, rec.fs, TOLERANCE_MS)
        per_lead.append(_nk_per_beat(points, r_idx, rec.fs))
    combined = _median_of_leads(per_lead)
    _global_board(run.boards["12-lead, global"], rec, combined)
    if not rec.paced:
        _global_board(run.boards["12-lead, global, unpaced records"], rec, combined)


def _cell(score: PointScore) -> str:
    return f"{score.se_pct:6.2f} {score.ppv_pct:6.2f} {score.mean_ms:+6.1f} ± {score.sd_ms:5.1f}"


def _f1(score: PointScore) -> float:
    return 2.0 * score.se_pct * score.ppv_pct / max(score.se_pct + score.ppv_pct, 1e-9)


def _verdict(name: str, ours: PointScore, peer: PointScore | None) -> str:
    marks = ["mean ok" if abs(ours.mean_ms) <= MAX_MEAN_MS[name] else "MEAN"]
    if name in CSE_SD_MS:
        marks.append("sd ok" if ours.sd_ms <= CSE_SD_MS[name] else "SD")
    if peer is not None and peer.tp:
        better = ours.sd_ms < peer.sd_ms and _f1(ours) >= _f1(peer)
        better &= abs(ours.mean_ms) <= max(abs(peer.mean_ms), MAX_MEAN_MS[name])
        marks.append(">nk" if better else "NOT>nk")
    return " ".join(marks)


def print_view(view: str, ours: Run, peer: Run | None) -> None:
    """One table: per point, Clarity and NeuroKit2 Se, PPV, mean ± SD, and target marks."""
    print(f"\n  {view}")
    head = "Se %    PPV %   mean ± SD ms"
    peer_head = f"   | NeuroKit2 dwt: {head}" if peer is not None else ""
    print(f"    {'point':11s} Clarity: {head}{peer_head}   | targets")
    for name in POINTS:
        mine = ours.boards[view].points[name]
        theirs = peer.boards[view].points[name] if peer is not None else None
        peer_cell = f"   |                {_cell(theirs)}" if theirs is not None else ""
        if theirs is not None and not theirs.tp:
            peer_cell = "   |                (no global mode)"
        target = CSE_SD_MS.get(name)
        goal = f"|m|<={MAX_MEAN_MS[name]:.0f}" + (f" sd<={target}" if target else "")
        print(
            f"    {name:11s}          {_cell(mine)}{peer_cell}   | {goal:16s} "
            f"{_verdict(name, mine, theirs)}"
        )


def print_rates(records: list[LudbRecord]) -> None:
    """Global view at other sampling rates (LUDB resampled; reference R peaks; Clarity only)."""
    from fractions import Fraction  # noqa: PLC0415 - only this optional section needs them

    from scipy.signal import resample_poly  # noqa: PLC0415

    print("\n=== other sampling rates: 12-lead global, reference R peaks, LUDB resampled ===")
    print("    rate Hz  " + "  ".join(f"{name:>15s}" for name in POINTS))
    for fs_new in (1000, 360, 250, 128, 100, 80):
        ratio = Fraction(fs_new, 500)
        board = Scoreboard()
        for rec in records:
            x = resample_poly(rec.samples, ratio.numerator, ratio.denominator, axis=1)
            r_idx = np.rint(rec.r_peaks * fs_new / rec.fs).astype(np.int64)
            d = delineate(clean(x, fs_new), fs_new, r_idx)
            back = {}
            for name in POINTS:
                found = d.point(name)
                back[name] = np.where(found >= 0, np.rint(found * rec.fs / fs_new), -1)
            _global_board(board, rec, {k: v.astype(np.int64) for k, v in back.items()})
        cells = [f"{s.mean_ms:+5.1f} ± {s.sd_ms:4.1f}" for s in board.points.values()]
        ses = min(s.se_pct for s in board.points.values())
        print(
            f"    {fs_new:7d}  " + "  ".join(f"{c:>15s}" for c in cells) + f"  (Se >= {ses:.1f}%)"
        )


def _detector() -> Callable[[npt.NDArray[np.float64], float], IntArray] | None:
    try:
        from clarity.ecg.signal.peaks import detect_r_peaks  # noqa: PLC0415 - optional sibling
    except ImportError:
        return None

    def detect(x: npt.NDArray[np.float64], fs: float) -> IntArray:
        return np.asarray(detect_r_peaks(clean(x, fs), fs).indices, dtype=np.int64)

    return detect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every fourth record")
    parser.add_argument("--ludb", type=Path, default=ROOT, help="LUDB data folder")
    parser.add_argument("--no-neurokit", action="store_true", help="skip the NeuroKit2 peer")
    parser.add_argument("--rates", action="store_true", help="also score 80 Hz to 1 kHz")
    args = parser.parse_args()
    ids = range(1, 161, 4) if args.quick else range(1, 161)
    records = load_ludb(args.ludb, ids)
    nk = None
    if not args.no_neurokit:
        import neurokit2 as nk  # noqa: PLC0415 - optional peer

    detect = _detector()
    sources: dict[str, Callable[[LudbRecord], IntArray]] = {"reference": lambda r: r.r_peaks}
    if detect is not None:
        sources["detected"] = lambda r: detect(r.samples, r.fs)
    print(f"LUDB records {ids.start}-{ids.stop - 1} step {ids.step}: {len(records)} records")
    print(f"matching window ±{TOLERANCE_MS:.0f} ms; errors are detected - annotated")
    for source, r_peaks_of in sources.items():
        ours, peer = Run(), (Run() if nk is not None else None)
        for rec in records:
            r_idx = r_peaks_of(rec)
            run_clarity(rec, r_idx, ours)
            if nk is not None and peer is not None:
                run_neurokit(nk, rec, r_idx, peer)
        print(f"\n=== R peaks: {source} ===")
        for view in VIEWS:
            print_view(view, ours, peer if view != "12-lead, per lead" else None)
        per_record_ms = 1000.0 * ours.seconds / len(records)
        line = f"\n  time per 12-lead record: Clarity {per_record_ms:.1f} ms (global + per lead)"
        if peer is not None:
            nk_ms = 1000.0 * peer.seconds / len(records)
            line += f", NeuroKit2 {nk_ms:.0f} ms (12 single leads): {nk_ms / per_record_ms:.0f}x"
        print(line)
    if detect is None:
        print("\n(detected R peaks: clarity.ecg.signal.peaks not available, not scored)")
    if args.rates:
        print_rates(records)


if __name__ == "__main__":
    main()
