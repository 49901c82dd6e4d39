"""R-peak detection on MIT-BIH DS1, clean and with NSTDB noise, against NeuroKit2's default.

Records: the 22 DS1 records of the MIT-BIH Arrhythmia Database (de Chazal et al. 2004) in
``../shared/data/mitdb``, lead MLII (channel 0, except record 114 where MLII is channel 1),
360 Hz, 30 min each, raw (``.dat`` in mV, nothing filtered beforehand).

Scoring (``rpeak_scoring``, ANSI/AAMI EC57): one-to-one beat matching within 150 ms, closest pairs
first, over the whole record; reference = the ``.atr`` beat labels ``N L R A a J S V F e j E / f Q``;
ventricular flutter episodes (``[`` ... ``]``, record 207) excluded as EC57 prescribes. Gross
sensitivity Se = TP / (TP + FN) and positive predictivity PPV = TP / (TP + FP), summed over records.

Detectors, both on the same raw samples, timed end to end:

* Clarity: ``clarity.ecg.signal.peaks.detect_r_peaks(x, fs)`` (default method ``"tracking"``);
* NeuroKit2: ``nk.ecg_clean(x, fs)`` then ``nk.ecg_findpeaks(cleaned, fs)``, both default
  (``"neurokit"``) methods, i.e. what ``nk.ecg_peaks`` runs, without its DataFrame.

Noise stress: the NSTDB noise records ``em`` (electrode motion), ``ma`` (muscle) and ``bw``
(baseline wander), channel 0, added to each clean record with the standard protocol of the
``nst`` program that built the NSTDB records: no noise for the first 5 min, then noise in
alternate 2 min periods (5-7, 9-11, ... min), offsets adjusted so that switching the noise on or
off makes no step. SNR follows the nst convention: signal power S = A^2 / 8 (the power of a sine
wave of peak-to-peak amplitude A), A = mean peak-to-peak amplitude of the QRS complexes of the
clean record (within 50 ms of each reference beat, largest and smallest 5 % discarded); noise
power N = mean square of the noise record (mean removed). The noise is scaled so that
10 log10(S / N) = 12, 6 and 0 dB. Scores are over the whole record, as for the NSTDB records.

Then both leads of each record, fused, with both channels of the noise records (the NSTDB
records' own construction; Clarity only, NeuroKit2 has no multi-lead detector).

Run: ``python benchmarks/bench_rpeaks.py [--quick] [--data PATH]`` (``--quick``: the first
10 min of each record, 6 dB noise only). Exits 0 (also when the data are missing: it says so and skips).

Results (full run, 2026-12-07, shared 2-core machine; FN FP Se% PPV%):

    Clean DS1, gross over 22 records (51,021 beats):
        clarity    79    43  99.845  99.916
        neurokit2 1054   302  97.934  99.399
    Speed (sum of per-record best of 3): on a par with NeuroKit2 (0.78x-1.00x over the last full
    runs on this shared machine, 0.85x in this one; about 0.1 s per 30 min record), not faster;
    the morphology match made Clarity about 1.15x slower than before (measured alone, 2.0 s ->
    2.3 s)

    NSTDB noise, nst protocol       clarity                      neurokit2
        em 12 dB          88    56  99.828  99.890 |  1193  1436  97.662  97.199
        em  6 dB         147   594  99.712  98.846 |  1685  3229  96.697  93.857
        em  0 dB         779  4641  98.473  91.544 |  3166  6401  93.795  88.202
        ma 12 dB          91    49  99.822  99.904 |  1061   487  97.920  99.035
        ma  6 dB         125   153  99.755  99.700 |  1151   814  97.744  98.394
        ma  0 dB         372   623  99.271  98.785 |  2355  1698  95.384  96.629
        bw 12 dB          81    40  99.841  99.922 |  1064   308  97.915  99.387
        bw  6 dB          82    40  99.839  99.922 |  1067   323  97.909  99.358
        bw  0 dB          78    47  99.847  99.908 |  1081   354  97.881  99.296

    Two leads (MLII and the record's other lead, fused; each lead with its own noise channel):
        clean             44    45  99.914  99.912
        em 12 dB          58    45  99.886  99.912
        em  6 dB          97    85  99.810  99.833
        em  0 dB         606   751  98.812  98.532
        ma 12 dB          59    50  99.884  99.902
        ma  6 dB         102    75  99.800  99.853
        ma  0 dB         381   247  99.253  99.515
        bw 12 dB          44    48  99.914  99.906
        bw  6 dB          45    46  99.912  99.910
        bw  0 dB          49    47  99.904  99.908

    The premature-interval change of 2026-12-07 (``peaks._tracking``: in clean stretches an
    interval shorter than the local RR costs 0.7 of the rhythm weight) moved these rows from
    (single lead) clean 86 / 43, em 12 dB 98 / 55, em 6 dB 151 / 579, em 0 dB 782 / 4633, ma
    12 dB 98 / 47, ma 6 dB 131 / 147, ma 0 dB 377 / 622, bw 86-88 / 40-45 (FN / FP), and on two
    leads from clean 50 / 43, em 12 dB 64 / 45, em 6 dB 103 / 85 (Se 99.798 %), em 0 dB 610 /
    751, ma 12 dB 65 / 50, ma 6 dB 107 / 75 (Se 99.790 %), ma 0 dB 385 / 247, bw 50-56 / 44-46.

    Clarity is ahead on every row, and at or above 99.8 % Se and PPV clean and at 12 dB (not at
    6 and 0 dB). In noise the tracker trusts tall peaks less where the QRS stands less than
    seven times above the envelope background (``peaks._tracking``; seven was chosen on this
    benchmark over ten, which lost 7 beats at 12 dB): against the version without it, errors
    (FN + FP) fell at every noise level, by a third at ma 0 dB (2,173 -> 1,647; PPV 96.49 ->
    97.61 %). Where noise bursts come near QRS height (90th percentile of the envelope background
    within seven times the QRS level), a peak must also match the shape of a nearby beat
    (``peaks._morphology``): against the run of 2026-11-22, FP fell at ma 0 dB 1,239 -> 622 (PPV
    97.61 -> 98.79 %; FN 408 -> 377 too), ma 6 dB 238 -> 147, em 6 dB 644 -> 579 and em 0 dB
    4,750 -> 4,633, at the cost of a few beats in noise (FN em 6 dB 135 -> 151, em 0 dB 749 ->
    782, ma 6 dB 127 -> 131; errors FN + FP fell on all four rows); clean and bw rows unchanged
    or better, 12 dB rows within one beat. Most em 6 dB false positives left are periodic (about
    1 Hz), QRS-like electrode motion artefacts of the NSTDB ``em`` record (at the same times in
    every record), which match each other as well as the patient's beats match theirs.
    Of the em 6 dB false positives inside the noise, about 300 of 565 split a regular RR
    interval between two detected beats (mostly near its middle); for a quarter of those the
    local RR the tracker expected had been pulled down to 0.6-0.7 of the true one by the noise
    it had accepted nearby, so splitting cost little. Tried on 2026-12-06 and not adopted
    (errors FN + FP, clean / em 12 / em 6 / em 0 / ma 6 / ma 0 dB, against 129 / 153 / 730 /
    5415 / 278 / 999): a rhythm weight growing with the noise gate (x1.5 to x3): 138-161 /
    166-201 / 579-636 / 4555-4879 / 300-402 / 971-1265; candidates 150 ms apart instead of
    200 ms: 122 / 151 / 796 / 4802 / 281 / 859; the local RR as the weighted mode of the
    intervals instead of their weighted median (bandwidth 5-10 %): 131-133 / 163-166 / 680-687
    / 4109-4252 / 302-313 / 1024-1034; the intervals weighted by the square of their beats'
    evidence in that median: 130 / 152 / 660 / 4850 / 285 / 1010. Each helps some rows and
    harms others.
    Clarity's remaining clean-record misses are mostly amplifier saturation in
    116 and 208 (beats hidden in the saturated lead), small aberrated atrial premature beats in
    201 and low-amplitude ventricular couplets in 203.

    Two leads (2026-12-07): MLII and the record's other lead (V1, V2, V4 or V5), fused by
    ``detect_r_peaks``, each lead with its own channel of the NSTDB noise record scaled to its
    own QRS amplitude: how nst builds the NSTDB records themselves (each clean signal is paired
    with a noise signal, its gain set independently). NeuroKit2 has no multi-lead detector (its
    MLII rows are above). With both leads every row is at or above 99.8 % down to 6 dB (ma 6
    dB exactly at it: 102 misses of 51,021 beats) and the errors at em 6 dB fall from 741 to
    182; at 0 dB they stay far from it. Of the 97 em 6 dB misses, about half are in 203
    (ventricular beats and atrial fibrillation at 150-200 bpm among multiform beats) and a
    quarter in 201 (aberrated atrial premature beats, a quarter of the normal QRS slope, 0.5 s
    after the last beat, in the noise where the rhythm cost keeps its full weight).

    Tried on 2026-12-07 and not adopted (errors FN + FP, single lead clean / em 12 / em 6 /
    em 0 / ma 6 / ma 0, against 129 / 153 / 730 / 5415 / 278 / 999): the morphology match
    against templates from stretches where the noise gate is 0 only (artefacts in a noisy
    stretch then cannot vouch for each other): 134 / 157 / 559 / 3841 / 287 / 915, but em 12 dB
    Se fell to 99.796 % (203's unique ventricular beats in noise lose their look-alikes) and on
    two leads every row but em 0 dB got worse (clean 93 -> 111, em 6 dB 188 -> 224); the noise
    bursts' height as the non-QRS level of the evidence (gated by noise): 150 / 174 / 462 /
    2997 / 295 / 1301 (false positives for misses); a rhythm weight lowered to 0.6-0.8 where
    the gate is 0: 121-122 / 149 / 815-869 / 5518-5602 / 307-339 / 1018-1051 (the adopted
    change lowers only the cost of premature intervals, see the table's note above; lowered
    to 0.85 everywhere that cost gave 120 / 148 / 881 / 5856 / 321 / 1096, and capping it at
    0.7 or 0.9 instead of scaling it 124-129 / 151-155 / 781-870 / 5538-5715 / 302-323 /
    1056-1151). On two leads, the fusion's background quantile 0.7 (142 clean errors), its
    power mean exponent 0.25 or 1 (117-118 clean, 185-224 em 6 dB) and 5 or 20 s quality
    windows (97-98 clean, 194-197 em 6 dB) were no better than the defaults on every row.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import neurokit2 as nk
import numpy as np
import numpy.typing as npt
import wfdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clarity.ecg.signal.peaks import detect_r_peaks
from rpeak_scoring import DS1, Score, match_beats, reference_beats

NOISES = ("em", "ma", "bw")
SNRS_DB = (12.0, 6.0, 0.0)
LEARNING_S = 300.0
PERIOD_S = 120.0
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Detector = Callable[[FloatArray, float], IntArray]


@dataclass(frozen=True)
class Record:
    """One DS1 record: lead MLII (``ecg_mv``) and the record's other lead (``second_mv``)."""

    name: str
    ecg_mv: FloatArray
    fs: float
    beats_idx: IntArray
    excluded: list[tuple[int, int]]
    second_mv: FloatArray


def load_record(path: Path, seconds: float | None) -> Record:
    rec = wfdb.rdrecord(str(path))
    ann = wfdb.rdann(str(path), "atr")
    lead = rec.sig_name.index("MLII")
    fs = float(rec.fs)
    stop = rec.p_signal.shape[0] if seconds is None else int(seconds * fs)
    ecg = np.asarray(rec.p_signal[:stop, lead], dtype=np.float64)
    second = np.asarray(rec.p_signal[:stop, 1 - lead], dtype=np.float64)
    beats, excluded = reference_beats(ann.sample, ann.symbol)
    return Record(path.name, ecg, fs, beats[beats < stop], excluded, second)


def qrs_amplitude_mv(rec: Record) -> float:
    """Trimmed mean peak-to-peak QRS amplitude (within 50 ms of each reference beat)."""
    half = int(0.05 * rec.fs)
    idx = np.clip(rec.beats_idx[:, None] + np.arange(-half, half + 1), 0, rec.ecg_mv.size - 1)
    pp = np.ptp(rec.ecg_mv[idx], axis=1)
    lo, hi = np.percentile(pp, [5, 95])
    return float(pp[(pp >= lo) & (pp <= hi)].mean())


def scaled_noise(rec: Record, noise_mv: FloatArray, snr_db: float) -> FloatArray:
    """The noise record (mean removed), repeated to the record's length and scaled to ``snr_db``
    against the record's QRS amplitude (nst convention)."""
    noise = np.resize(noise_mv - noise_mv.mean(), rec.ecg_mv.size)
    signal_power = qrs_amplitude_mv(rec) ** 2 / 8.0
    gain = np.sqrt(signal_power / (np.mean(noise**2) * 10.0 ** (snr_db / 10.0)))
    scaled: FloatArray = gain * noise
    return scaled


def nst_noisy(rec: Record, noise_mv: FloatArray, snr_db: float) -> FloatArray:
    """``rec`` plus noise at ``snr_db`` in alternate 2 min periods after 5 min (nst protocol)."""
    n = rec.ecg_mv.size
    noise = scaled_noise(rec, noise_mv, snr_db)
    changes = np.arange(LEARNING_S * rec.fs, n, PERIOD_S * rec.fs).astype(np.int64)
    added = np.zeros(n)
    level, on = 0.0, False  # nst keeps the output continuous where the gain changes
    bounds = [*changes.tolist(), n]
    for start, stop in itertools.pairwise(bounds):
        on = not on
        if on:
            offset = level - noise[start]
            added[start:stop] = noise[start:stop] + offset
            level = float(added[stop - 1])
        else:
            added[start:stop] = level
    return rec.ecg_mv + added


def nst_noisy_two_leads(rec: Record, noise_mv: FloatArray, snr_db: float) -> FloatArray:
    """Both leads of ``rec``, each with its own channel of the ``(n, 2)`` noise record scaled to
    ``snr_db`` against that lead's QRS amplitude, as nst builds the NSTDB records."""
    second = replace(rec, ecg_mv=rec.second_mv)
    return np.vstack(
        [nst_noisy(rec, noise_mv[:, 0], snr_db), nst_noisy(second, noise_mv[:, 1], snr_db)]
    )


def clarity_detector(x: FloatArray, fs: float) -> IntArray:
    return detect_r_peaks(x, fs).indices


def neurokit_detector(x: FloatArray, fs: float) -> IntArray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned = nk.ecg_clean(x, sampling_rate=int(fs))
        found = nk.ecg_findpeaks(cleaned, sampling_rate=int(fs))
    return np.asarray(found["ECG_R_Peaks"], dtype=np.int64)


DETECTORS: dict[str, Detector] = {"clarity": clarity_detector, "neurokit2": neurokit_detector}


def run(detector: Detector, rec: Record, x: FloatArray, repeats: int = 1) -> tuple[Score, float]:
    """Score of one detection and its best wall time over ``repeats`` runs (the machine is shared:
    the minimum is the least disturbed measurement)."""
    elapsed = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        found = detector(x, rec.fs)
        elapsed = min(elapsed, time.perf_counter() - t0)
    return match_beats(rec.beats_idx, found, rec.fs, excluded=rec.excluded), elapsed


def _fmt(score: Score) -> str:
    return f"{score.fn:5d} {score.fp:5d} {score.se_pct:8.3f} {score.ppv_pct:8.3f}"


def clean_table(records: list[Record], repeats: int) -> dict[str, float]:
    """Per-record and gross scores on the clean records; returns total time per detector."""
    names = list(DETECTORS)
    print("\nClean MIT-BIH DS1, lead MLII (FN FP Se% PPV%)")
    print(f"{'record':>6} {'beats':>6} | " + " | ".join(f"{n:^29}" for n in names))
    totals = {n: Score(0, 0, 0) for n in names}
    times = dict.fromkeys(names, 0.0)
    for rec in records:
        cells = []
        for name in names:
            score, elapsed = run(DETECTORS[name], rec, rec.ecg_mv, repeats)
            totals[name] = totals[name] + score
            times[name] += elapsed
            cells.append(_fmt(score))
        n_beats = score.tp + score.fn
        print(f"{rec.name:>6} {n_beats:6d} | " + " | ".join(cells))
    print(f"{'gross':>6} {'':6} | " + " | ".join(_fmt(totals[n]) for n in names))
    return times


def _noise_record(data: Path, kind: str) -> FloatArray:
    noise: FloatArray = wfdb.rdrecord(str(data / "nstdb" / kind)).p_signal.astype(np.float64)
    return noise


def noise_table(records: list[Record], data: Path, snrs_db: tuple[float, ...]) -> None:
    names = list(DETECTORS)
    print("\nNSTDB noise stress (nst protocol), lead MLII, gross over the records (FN FP Se% PPV%)")
    print(f"{'noise':>6} {'SNR':>5} | " + " | ".join(f"{n:^29}" for n in names))
    for kind in NOISES:
        noise = _noise_record(data, kind)[:, 0]
        for snr_db in snrs_db:
            totals = {n: Score(0, 0, 0) for n in names}
            for rec in records:
                noisy = nst_noisy(rec, noise, snr_db)
                for name in names:
                    totals[name] = totals[name] + run(DETECTORS[name], rec, noisy)[0]
            cells = " | ".join(_fmt(totals[n]) for n in names)
            print(f"{kind:>6} {snr_db:4.0f}dB | {cells}", flush=True)


def two_lead_table(records: list[Record], data: Path, snrs_db: tuple[float, ...]) -> None:
    """Clarity's multi-lead fusion on both leads of each record, clean and with the noise of
    both NSTDB channels (NeuroKit2 has no multi-lead detector: its MLII rows are above)."""
    print("\nTwo leads (MLII and the record's other lead), clarity (FN FP Se% PPV%)")
    totals = Score(0, 0, 0)
    for rec in records:
        totals = totals + run(clarity_detector, rec, np.vstack([rec.ecg_mv, rec.second_mv]))[0]
    print(f"{'clean':>6} {'':>5} | {_fmt(totals)}", flush=True)
    for kind in NOISES:
        noise = _noise_record(data, kind)
        for snr_db in snrs_db:
            totals = Score(0, 0, 0)
            for rec in records:
                noisy = nst_noisy_two_leads(rec, noise, snr_db)
                totals = totals + run(clarity_detector, rec, noisy)[0]
            print(f"{kind:>6} {snr_db:4.0f}dB | {_fmt(totals)}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="first 10 min, 6 dB noise only")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/data")
    args = parser.parse_args()
    if not (args.data / "mitdb").exists() or not (args.data / "nstdb").exists():
        print(f"data not found under {args.data} (mitdb and nstdb needed)")
        return 0
    seconds = 600.0 if args.quick else None
    records = [load_record(args.data / "mitdb" / name, seconds) for name in DS1]
    repeats = 1 if args.quick else 3
    times = clean_table(records, repeats)
    ratio = times["neurokit2"] / max(times["clarity"], 1e-9)
    print(
        f"\nspeed on the clean records (sum of per-record best of {repeats} runs): clarity "
        f"{times['clarity']:.2f} s, neurokit2 "
        f"{times['neurokit2']:.2f} s -> clarity is {ratio:.2f}x the speed of neurokit2"
    )
    snrs_db = (6.0,) if args.quick else SNRS_DB
    noise_table(records, args.data, snrs_db)
    two_lead_table(records, args.data, snrs_db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
