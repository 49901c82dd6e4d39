"""Interpretation statements against the LUDB cardiologists' diagnoses (records 1-160).

Runs ``clarity.ecg.signal.analyze`` on every 10 s, 500 Hz, 12-lead LUDB record and compares
the statements with the diagnoses in ``ludb.csv`` (Kalyakulina et al. 2020). Paced records are
left out (the statements have no paced rhythm; it is neither sinus nor AF). Each line is one
statement: TP/FP/FN/TN, sensitivity, specificity and PPV. Rule limits come from published
criteria (see ``clarity.ecg.signal.interpret``); nothing was tuned on these records, and records
161-200 are held back for independent evaluation.

Run: ``python benchmarks/bench_interpretation.py [path/to/ludb]``

Results (run on 2026-12-06, records 1-160, shared 2-core machine)::

    LUDB records 1-160: 150 records analysed, 10 paced left out, 0 poor quality, 36 ms per analysis
    note: 150 of 150 records have every lead scaled to exactly 1 mV peak-to-peak: amplitude
          criteria (LVH voltage, low voltage) cannot be scored
    statement                           TP  FP  FN  TN     Se    Sp   PPV  (%)
    sinus rhythm (any rate)            132   0   4  14   97.1 100.0 100.0
    sinus bradycardia                   21  19   0 110  100.0  85.3  52.5
    sinus tachycardia                    0   0   3 147    0.0 100.0    --
    sinus arrhythmia                     4   8   3 135   57.1  94.4  33.3
    atrial fibrillation                  9   1   2 138   81.8  99.3  90.0
    AF or flutter -> AFIB               10   0   4 136   71.4 100.0 100.0
    left axis deviation                 10   0  51  89   16.4 100.0 100.0
    right axis deviation                 1   6   1 142   50.0  95.9  14.3
    any RBBB (complete or incomplete)    5   0  25 120   16.7 100.0 100.0
    complete RBBB                        1   2   3 144   25.0  98.6  33.3
    incomplete RBBB                      1   1  25 123    3.8  99.2  50.0
    complete LBBB                        2   3   2 143   50.0  97.9  40.0
    incomplete LBBB                      0   1   6 143    0.0  99.3   0.0
    nonspecific IVCD                     0   4   4 142    0.0  97.3   0.0
    left anterior fascicular block       2   0  13 135   13.3 100.0 100.0
    first-degree AV block                7   2   3 138   70.0  98.6  77.8
    premature atrial complexes           6   7   1 136   85.7  95.1  46.2
    premature ventricular complexes      6   2   0 142  100.0  98.6  75.0
    measured QRS axis by LUDB axis class (median [10th-90th percentile], n):
      horizontal                 23° [   -5° to   55°]  n=15
      left axis deviation        -2° [  -43° to   32°]  n=61
      normal                     53° [   31° to   70°]  n=51
      right axis deviation       43° [    4° to   81°]  n=2
      vertical                   74° [   59° to   95°]  n=21

Reading the table. Rhythm, AF and ectopy agree well. The low sensitivities elsewhere mostly come
from LUDB's diagnostic conventions, which differ from the AHA/ACCF/HRS limits the rules follow
(and were deliberately not tuned to): "left axis deviation" is used for axes left of about +30°
(measured median −2°, where AHA LAD is −30° to −90°); "incomplete RBBB" is given to rSr' patterns
with QRS of 64-108 ms (AHA: 110-119 ms); sinus bradycardia is labelled up to about 57 bpm and
"sinus rhythm" down to 55 bpm, sinus tachycardia from 90 bpm (conventional 60 and 100 bpm). In this copy
of LUDB every lead is rescaled to exactly 1 mV peak-to-peak, so voltage criteria (LVH, low
voltage) cannot be scored and the axis is only approximate. First-degree AV block: the two
false positives measure PR 210 and 228 ms, the three misses 184-200 ms (global PR: the P onset
of the leads that show the P wave to the earliest QRS onset over 12 leads). Missed sinus rhythms are
records where the delineation found no P wave.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import wfdb

from clarity.ecg.signal import analyze
from clarity.ecg.waveform import STANDARD_LEADS, Waveform

DEFAULT_LUDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "ludb"
Labels = dict[str, str]
Rule = Callable[[Labels], bool]


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    def row(self, name: str) -> str:
        def pct(num: int, den: int) -> str:
            return f"{100 * num / den:5.1f}" if den else "   --"

        return (
            f"{name:<34} {self.tp:>3} {self.fp:>3} {self.fn:>3} {self.tn:>3}  "
            f"{pct(self.tp, self.tp + self.fn)} {pct(self.tn, self.tn + self.fp)} "
            f"{pct(self.tp, self.tp + self.fp)}"
        )


def _has(column: str, *prefixes: str) -> Rule:
    """True when one of the column's diagnoses (one per line) starts with one of ``prefixes``."""
    wanted = tuple(p.lower() for p in prefixes)

    def rule(labels: Labels) -> bool:
        items = [item.strip().lower() for item in labels[column].splitlines()]
        return any(item.startswith(wanted) for item in items)

    return rule


RHYTHM, AXIS, COND = "Rhythms", "Electric axis of the heart", "Conduction abnormalities"
SINUS = (
    "Sinus rhythm",
    "Sinus bradycardia",
    "Sinus tachycardia",
    "Sinus arrhythmia",
    "Irregular sinus",
)
# (statement, LUDB truth, predicted statement codes)
TABLE: list[tuple[str, Rule, set[str]]] = [
    ("sinus rhythm (any rate)", _has(RHYTHM, *SINUS), {"SR", "SBRAD", "STACH"}),
    ("sinus bradycardia", _has(RHYTHM, "Sinus bradycardia"), {"SBRAD"}),
    ("sinus tachycardia", _has(RHYTHM, "Sinus tachycardia"), {"STACH"}),
    ("sinus arrhythmia", _has(RHYTHM, "Sinus arrhythmia", "Irregular sinus"), {"SARRH"}),
    ("atrial fibrillation", _has(RHYTHM, "Atrial fibrillation"), {"AFIB"}),
    ("AF or flutter -> AFIB", _has(RHYTHM, "Atrial fibrillation", "Atrial flutter"), {"AFIB"}),
    ("left axis deviation", _has(AXIS, "Electric axis of the heart: left axis deviation"), {"LAD"}),
    (
        "right axis deviation",
        _has(AXIS, "Electric axis of the heart: right axis deviation"),
        {"RAD"},
    ),
    (
        "any RBBB (complete or incomplete)",
        _has(COND, "Complete right", "Incomplete right"),
        {"CRBBB", "IRBBB"},
    ),
    ("complete RBBB", _has(COND, "Complete right bundle"), {"CRBBB"}),
    ("incomplete RBBB", _has(COND, "Incomplete right bundle"), {"IRBBB"}),
    ("complete LBBB", _has(COND, "Complete left bundle"), {"CLBBB"}),
    ("incomplete LBBB", _has(COND, "Incomplete left bundle"), {"ILBBB"}),
    ("nonspecific IVCD", _has(COND, "Non-specific intravintricular conduction delay"), {"IVCD"}),
    ("left anterior fascicular block", _has(COND, "Left anterior hemiblock"), {"LAFB"}),
    ("first-degree AV block", _has(COND, "I degree av block"), {"1AVB"}),
    ("premature atrial complexes", _has("Extrasystolies", "Atrial extrasystole"), {"PAC"}),
    (
        "premature ventricular complexes",
        _has("Extrasystolies", "Ventricular extrasystole"),
        {"PVC"},
    ),
]


def read_labels(folder: Path) -> dict[int, Labels]:
    with (folder / "ludb.csv").open(newline="") as f:
        return {int(row["ID"]): {k: v.strip() for k, v in row.items()} for row in csv.DictReader(f)}


def load(folder: Path, record: int) -> Waveform:
    rec = wfdb.rdrecord(str(folder / "data" / str(record)))
    return Waveform(rec.p_signal.T.astype(np.float32), float(rec.fs), STANDARD_LEADS)


def _normalised(waveform: Waveform) -> bool:
    """True when every lead spans exactly 1 mV peak-to-peak (rescaled leads, not true volts)."""
    return bool(np.allclose(np.ptp(waveform.samples, axis=1), 1.0, atol=1e-3))


def _evaluate(folder: Path) -> tuple[dict[str, Confusion], dict[str, list[float]], list[str]]:
    labels = read_labels(folder)
    tables = {name: Confusion() for name, _, _ in TABLE}
    axes: dict[str, list[float]] = {}
    notes: list[str] = []
    normalised = paced = poor = 0
    seconds = 0.0
    for record in range(1, 161):
        truth = labels[record]
        if truth["Cardiac pacing"]:
            paced += 1
            continue
        waveform = load(folder, record)
        normalised += _normalised(waveform)
        start = time.perf_counter()
        try:
            result = analyze(waveform, sex=_sex(truth), age=_age(truth))
        except Exception as error:  # a benchmark reports failures, it does not stop
            notes.append(f"record {record} failed: {error}")
            continue
        seconds += time.perf_counter() - start
        codes = {s.code for s in result.statements}
        poor += "POORQ" in codes
        for name, rule, predicted in TABLE:
            tables[name].add(rule(truth), bool(codes & predicted))
        axis_class = truth[AXIS].removeprefix("Electric axis of the heart:").strip() or "none"
        if result.measurements.qrs_axis_deg is not None:
            axes.setdefault(axis_class, []).append(result.measurements.qrs_axis_deg)
    analysed = 160 - paced - sum("failed" in n for n in notes)
    notes.insert(0, f"{analysed} records analysed, {paced} paced left out, {poor} poor quality, "
                    f"{1000 * seconds / max(analysed, 1):.0f} ms per analysis")  # fmt: skip
    notes.insert(1, f"{normalised} of {analysed} records have every lead scaled to exactly 1 mV "
                    "peak-to-peak: amplitude\n      criteria (LVH voltage, low voltage) cannot be "
                    "scored")  # fmt: skip
    return tables, axes, notes


def _sex(truth: Labels) -> Literal["male", "female"]:
    return "female" if truth["Sex"].upper().startswith("F") else "male"


def _age(truth: Labels) -> float | None:
    try:
        return float(truth["Age"])
    except ValueError:
        return None


def main(folder: Path = DEFAULT_LUDB) -> None:
    tables, axes, notes = _evaluate(folder)
    print("LUDB records 1-160: " + notes[0])
    print("note: " + notes[1])
    print(f"{'statement':<34}  TP  FP  FN  TN     Se    Sp   PPV  (%)")
    for name, table in tables.items():
        print(table.row(name))
    print("measured QRS axis by LUDB axis class (median [10th-90th percentile], n):")
    for name, values in sorted(axes.items()):
        lo, mid, hi = np.percentile(values, [10, 50, 90])
        print(f"  {name:<22} {mid:6.0f}° [{lo:5.0f}° to {hi:4.0f}°]  n={len(values)}")
    for line in notes[2:]:
        print(line)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_LUDB)
