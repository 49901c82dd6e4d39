"""Signal quality grades on real records with real noise: do they flag the windows where beat
detection fails? Against NeuroKit2's quality indices on the same windows.

Windows: 10 s of lead MLII of the 22 MIT-BIH DS1 records (every sixth window of each 30 min
record, 30 per record), clean and with the NSTDB noise records ``em`` (electrode motion), ``ma``
(muscle) and ``bw`` (baseline wander) added at 12, 6 and 0 dB SNR (the nst convention of
``bench_rpeaks.py``: signal power from the record's mean QRS amplitude; the noise taken from the
same minutes of the noise record, over the whole window).

What is scored: whether a window's quality predicts the reliability of what is measured on it.
Reliability: Clarity's R-peak detector run on the window alone, matched to the annotated beats
within 150 ms (EC57), beats within 0.25 s of the window edges left out; a window is *unreliable*
when it has a missed or a false beat. For each quality measure:

* beats Se / PPV and the share of unreliable windows per grade (Clarity: excellent / good / fair
  / poor from ``assess_quality``; NeuroKit2: ``ecg_quality(method="zhao2018", approach="fuzzy")``,
  Excellent / Barely acceptable / Unacceptable, on ``ecg_clean``);
* the area under the ROC curve of the quality score for telling unreliable windows from reliable
  ones (Clarity: the overall score; NeuroKit2: the mean of ``ecg_quality(method="averageQRS")``
  and the zhao2018 class as an ordinal 2 / 1 / 0);
* the grade mix per noise type and SNR.

Run: ``python benchmarks/bench_quality.py [--data PATH]`` (exits 0 and says so when the data are
missing).

Results (2026-12-07, 6,600 windows of 10 s, 344 s; 15.7 % of the windows unreliable; after the
R-peak tracker's premature-interval change and the noise floor measured between the QRS
complexes)::

    Clarity assess_quality grade: windows, beats Se / PPV %, unreliable windows %
      excellent           1138   99.72 /  99.74     3.5
      good                2815   99.31 /  97.73     9.0
      fair                1426   97.70 /  96.05    19.6
      poor                1221   95.20 /  92.38    37.9
    NeuroKit2 zhao2018 class: windows, beats Se / PPV %, unreliable windows %
      Excellent           6247   98.50 /  97.36    13.8
      Barely acceptable    353   93.85 /  85.55    50.4
      Unacceptable           0    0.00 /   0.00     0.0
    AUROC for the reliable windows (higher quality -> reliable):
      Clarity overall score          0.730
      NeuroKit2 averageQRS (mean)    0.547
      NeuroKit2 zhao2018 (ordinal)   0.570
    grade mix per condition (Clarity e/g/f/p | NeuroKit2 zhao2018 E/B/U), unreliable %
      clean     354/283/ 20/  3 | 657/  3/  0     2.1
      em 12 dB  250/376/ 26/  8 | 657/  3/  0     4.4
      em 6 dB    47/393/181/ 39 | 623/ 37/  0    23.2
      em 0 dB     2/119/229/310 | 505/155/  0    57.6
      ma 12 dB   90/402/138/ 30 | 656/  4/  0     4.1
      ma 6 dB    20/199/207/234 | 632/ 28/  0    16.4
      ma 0 dB     1/ 33/104/522 | 550/110/  0    41.2
      bw 12 dB  242/379/ 35/  4 | 657/  3/  0     2.3
      bw 6 dB   104/408/140/  8 | 657/  3/  0     2.6
      bw 0 dB    28/223/346/ 63 | 653/  7/  0     3.3

The noise floor between the complexes (2026-12-07, ``_quality_checks``): the 20-150 Hz noise
was the 20th percentile of all 200 ms windows, and at fast rates most windows hold a piece of a
QRS complex (MIT-BIH 209's clean supraventricular tachycardia at 156-162 bpm measured 61-80 µV,
marked, against 31 µV at 80 bpm; a synthetic 210 bpm rhythm 3.7 times its 60 bpm noise). Counting
only the samples away from the complexes it measures 24 µV at 80 bpm and 38 µV at 160 bpm in
209. The same AUROC (0.730), clean windows more often excellent (288 -> 354) and noisy ones less
often poor (em 0 dB 370 -> 310, ma 0 dB 559 -> 522): the true noise is lower than the QRS-laden
windows said. Before it, after the premature-interval change: unreliable excellent 3.7 %, good
7.8 %, fair 17.1 %, poor 36.1 %, AUROC 0.730. LUDB: grades unchanged (156 excellent, 4 good),
noise flags 11 -> 10 leads. bench_interpretation.py: LUDB unchanged; MIT-BIH AF Se 94.5 ->
95.1 %, sinus TP 2967 -> 2968.

(2026-12-06: unreliable excellent 4.3 %, good 7.7 %, fair 16.8 %, poor 36.1 %; AUROC 0.727.)

Reading. The grade orders the windows by reliability (3.5 % unreliable when excellent, 37.9 %
when poor) and separates them better than NeuroKit2's indices (AUROC 0.73 against 0.55-0.57;
zhao2018 calls 95 % of all windows Excellent, em 0 dB included). Baseline wander lowers the
grade (bw 0 dB: 422 of 660 fair or poor) where R-peak detection does not suffer (wander matters
for ST measurement, which this benchmark does not score).

The low-QRS-contrast check (``clarity.ecg.signal.quality``; 2026-12-06, third session) is what
sees electrode motion, which lies inside the ECG band where the other checks do not look (noise
at 20-150 Hz, wander below 0.5 Hz). Before it (same windows): AUROC 0.683; unreliable windows
excellent 6.8 %, good 11.5 %, fair 15.8 %, poor 37.5 %; em 6 dB graded 72/453/112/23 and em 0
dB 9/249/207/195 (most still good, with one window in five, then more than half, in error).
On its own the contrast separates the windows better still (AUROC 0.87 with the median of the
whole window as background, 0.85 between the complexes), but in clean 12-lead ECGs it is also
low where the QRS is nearly isoelectric (hence the 40 µV floor of the band; with it 33 of the
1,920 LUDB leads are flagged, in 12 records) and where fibrillatory or flutter waves fill the
band: graded "marked" below 7 it made MIT-BIH AF windows poor and stopped their interpretation
(bench_interpretation.py AF Se 94.5 -> 89.1 %), so it is mild at most (every
bench_interpretation row unchanged). Limits on the even records, checked on the odd ones (every
twelfth window): AUROC 0.67 / 0.69 without the check, 0.72 / 0.73 with it; a limit of 12 instead
of 10 flagged twice as many clean windows for no gain (1.5 % of them are flagged at 10). Loud intermittent bursts
(louder than the QRS complexes, half the time) take the place of the complexes in the envelope
and escape it.

Tried on 2026-12-07 and not adopted: beat-to-beat consistency after R-peak detection, as an
eighth check given the R peaks. Each beat (200 ms before to 400 ms after its R peak, after
``filters.clean``) was correlated with the beats around it (8 either side) and kept its
correlation with its second-closest look-alike (ectopic beats of one focus have look-alikes;
an artefact burst may have one), averaged over the lead; mild below 0.86 (Orphanidou et al.
2015), marked below 0.7. Alone on these windows that index separates reliable from unreliable
windows with an AUROC of 0.90-0.92, and as a check it raised the grade's AUROC to 0.816
(unreliable windows excellent 1.7 %, poor 39.9 %). But coarse fibrillatory and flutter waves,
multiform ventricular beats and beat-to-beat QRS changes lower it as much as noise does: in
bench_interpretation.py the MIT-BIH atrial fibrillation windows of record 203 became poor and
lost their interpretation (AF Se 94.5 -> 88.5 %, AF or flutter 98.6 -> 90.6 %). Not counted
where the contrast check had already fired, the AF windows were kept but the AUROC fell to
0.754 (0.749 with the least alike tenth of the beats left out, so that an isolated ectopic
beat does not count), and it still flagged 57-95 of LUDB's 1,920 clean leads (22-28 records:
atrial fibrillation, single or polymorphic PVCs, and record 72's QRS changing from beat to
beat with respiration) as "noise or artefact on the beats". A small gain for a reason that is
often wrong on clean ECGs, so it was left out.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import neurokit2 as nk
import numpy as np
import numpy.typing as npt
import wfdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rpeaks import DEFAULT_DATA, Record, load_record, scaled_noise
from clarity.ecg.signal.peaks import detect_r_peaks
from clarity.ecg.signal.quality import assess_quality
from clarity.ecg.waveform import Waveform
from rpeak_scoring import DS1, Score, matched_pairs

WINDOW_S = 10.0
EVERY = 6
EDGE_S = 0.25
MATCH_S = 0.150
CONDITIONS = (("clean", 0.0), *((k, s) for k in ("em", "ma", "bw") for s in (12.0, 6.0, 0.0)))
CLARITY_GRADES = ("excellent", "good", "fair", "poor")
NK_CLASSES = ("Excellent", "Barely acceptable", "Unacceptable")

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Window:
    condition: str
    grade: str
    score: float
    nk_class: str
    nk_average_qrs: float
    beats: Score

    @property
    def unreliable(self) -> bool:
        return self.beats.fn + self.beats.fp > 0


def detection(rec: Record, x: FloatArray, start: int) -> Score:
    """Clarity's detector on one window against the annotated beats (edges left out)."""
    fs, n = rec.fs, x.size
    edge = round(EDGE_S * fs)
    found = detect_r_peaks(x, fs).indices
    ref = rec.beats_idx[(rec.beats_idx >= start) & (rec.beats_idx < start + n)] - start
    inside_ref = ref[(ref >= edge) & (ref < n - edge)]
    inside_found = found[(found >= edge) & (found < n - edge)]
    # match against all beats so that a beat just across the edge is not a false positive
    ri, di = matched_pairs(ref, found, round(MATCH_S * fs))
    matched_ref = set(ref[ri].tolist())
    matched_found = set(found[di].tolist())
    tp = sum(r in matched_ref for r in inside_ref.tolist())
    fn = inside_ref.size - tp
    fp = sum(f not in matched_found for f in inside_found.tolist())
    return Score(tp, fn, fp)


def neurokit_quality(x: FloatArray, fs: float) -> tuple[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned = nk.ecg_clean(x, sampling_rate=int(fs))
        try:
            label = str(nk.ecg_quality(cleaned, sampling_rate=int(fs), method="zhao2018",
                                       approach="fuzzy"))  # fmt: skip
        except Exception:  # a peer that fails on a window rates it unusable
            label = "Unacceptable"
        try:
            average = float(np.nanmean(nk.ecg_quality(cleaned, sampling_rate=int(fs))))
        except Exception:  # likewise: no quality
            average = 0.0
    return label, average if np.isfinite(average) else 0.0


def windows_of(rec: Record, condition: str, noise: FloatArray | None) -> list[Window]:
    width = round(WINDOW_S * rec.fs)
    x_all = rec.ecg_mv if noise is None else rec.ecg_mv + noise
    out = []
    for start in range(0, rec.ecg_mv.size - width + 1, EVERY * width):
        x = x_all[start : start + width]
        quality = assess_quality(Waveform(x[None, :].astype(np.float32), rec.fs, ("II",)))
        nk_class, nk_average = neurokit_quality(x, rec.fs)
        beats = detection(rec, x, start)
        out.append(Window(condition, quality.grade, quality.score, nk_class, nk_average, beats))
    return out


def auroc(score: FloatArray, positive: npt.NDArray[np.bool_]) -> float:
    """Area under the ROC curve of ``score`` for the positive class (ties count half)."""
    pos, neg = score[positive], score[~positive]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (pos.size * neg.size))


def per_grade(windows: list[Window], key: str, grades: tuple[str, ...], title: str) -> None:
    print(f"\n{title}: windows, beats Se / PPV %, unreliable windows %")
    for grade in grades:
        chosen = [w for w in windows if getattr(w, key) == grade]
        beats = sum((w.beats for w in chosen), Score(0, 0, 0))
        bad = 100.0 * sum(w.unreliable for w in chosen) / max(len(chosen), 1)
        print(
            f"  {grade:18} {len(chosen):5d}  {beats.se_pct:6.2f} / {beats.ppv_pct:6.2f}   {bad:5.1f}"
        )


def label(kind: str, snr_db: float) -> str:
    return kind if kind == "clean" else f"{kind} {snr_db:.0f} dB"


def mix(windows: list[Window]) -> None:
    print("\ngrade mix per condition (Clarity e/g/f/p | NeuroKit2 zhao2018 E/B/U), unreliable %")
    for kind, snr_db in CONDITIONS:
        name = label(kind, snr_db)
        chosen = [w for w in windows if w.condition == name]
        ours = Counter(w.grade for w in chosen)
        theirs = Counter(w.nk_class for w in chosen)
        bad = 100.0 * sum(w.unreliable for w in chosen) / max(len(chosen), 1)
        print(
            f"  {name:8} " + "/".join(f"{ours[g]:3d}" for g in CLARITY_GRADES)
            + " | " + "/".join(f"{theirs[c]:3d}" for c in NK_CLASSES)
            + f"   {bad:5.1f}"
        )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/data")
    args = parser.parse_args()
    if not (args.data / "mitdb").exists() or not (args.data / "nstdb").exists():
        print(f"data not found under {args.data} (mitdb and nstdb needed): skipped")
        return 0
    noises = {
        kind: wfdb.rdrecord(str(args.data / "nstdb" / kind)).p_signal[:, 0].astype(np.float64)
        for kind in ("em", "ma", "bw")
    }
    t0 = time.perf_counter()
    windows: list[Window] = []
    for name in DS1:
        rec = load_record(args.data / "mitdb" / name, None)
        for kind, snr_db in CONDITIONS:
            noise = None if kind == "clean" else scaled_noise(rec, noises[kind], snr_db)
            windows += windows_of(rec, label(kind, snr_db), noise)
        print(f"{name}: {len(windows)} windows so far", flush=True)
    print(f"\n{len(windows)} windows of {WINDOW_S:.0f} s in {time.perf_counter() - t0:.0f} s")
    unreliable = np.array([w.unreliable for w in windows])
    print(f"unreliable (a missed or false beat): {100.0 * unreliable.mean():.1f} %")
    per_grade(windows, "grade", CLARITY_GRADES, "Clarity assess_quality grade")
    per_grade(windows, "nk_class", NK_CLASSES, "NeuroKit2 zhao2018 class")
    ours = np.array([w.score for w in windows])
    theirs = np.array([w.nk_average_qrs for w in windows])
    ordinal = np.array([2.0 - NK_CLASSES.index(w.nk_class) for w in windows])
    print("\nAUROC for the reliable windows (higher quality -> reliable):")
    print(f"  Clarity overall score          {auroc(ours, ~unreliable):.3f}")
    print(f"  NeuroKit2 averageQRS (mean)    {auroc(theirs, ~unreliable):.3f}")
    print(f"  NeuroKit2 zhao2018 (ordinal)   {auroc(ordinal, ~unreliable):.3f}")
    mix(windows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
