"""Speed of the full 12-lead analysis against NeuroKit2, and memory of a 24-hour Holter stream.

1. ``clarity.ecg.signal.analyze`` (quality, clean, multi-lead R peaks, global delineation,
   measurements, interpretation) on a 10 s, 500 Hz, 12-lead LUDB record, against NeuroKit2's
   ``ecg_process`` (clean, peaks, delineation, quality) run lead by lead on the same record, in the
   same process. Interleaved rounds after a warm-up, best of each (the machine is shared and
   noisy: the fastest run is the one least disturbed), in wall-clock and in this process's CPU
   time. Target: ours ≥ 20× faster.
2. ``clarity.ecg.signal.analyze_stream`` on a 2-lead, 360 Hz Holter-like record built by tiling
   the MIT-BIH DS1 records (30 min each) to 0.5, 2 and 24 hours, fed in 10 s chunks. The records
   are read once before the measurement; peak traced memory (tracemalloc) of the analysis and of
   the chunks in flight must stay flat as the recording grows.

Run: ``python benchmarks/bench_speed.py [--hours 24]``

Results (run on 2026-12-07, second session, shared 2-core machine; after the P-wave lock and
the opposite-complex rule)::

    LUDB record 1: 12 leads x 10 s at 500 Hz, 5 interleaved rounds, best times
      clarity analyze (full pipeline):        48.5 ms wall    48.5 ms CPU
      NeuroKit2 ecg_process, 12 x 1 lead:   1545.5 ms wall  1542.0 ms CPU
      speed ratio: 31.9x wall, 31.8x CPU (per-round wall ratios 26.1-42.7x; target >= 20x)
    Holter stream (2 leads, 360 Hz, MIT-BIH DS1 tiled, 10 s chunks, 60 s windows):
       24.0 h: peak traced memory    4.7 MB (whole signal as float32 would be   248.8 MB); 110066 beats,
               HR 76.4 bpm, SDNN 179 ms, PVC 7602, 166 s
        (0.5 h and 2 h: 4.6 MB)

First session of 2026-12-07 (NeuroKit2 took 1204 ms where it had taken 849 ms the day before):
44.0 ms against 1204.3 ms (27.4x, per round 26.7-36.1x); 24 h in 4.7 MB, 140 s, PVC 7423.
Then, after the noise floor measured between the QRS complexes (quality checks), with
``--hours 0.5``: 43.3 ms against 1430.9 ms (33.1x, per round 29.3-36.2x), 0.5 h in 4.6 MB.
2026-12-06, third session (after the low-QRS-contrast quality check and the cached filter
designs): 32.7 ms against 849.1 ms (25.9x), 24 h in 95 s, 4.7 MB.

The quality check first cost 3-5 ms per record (39.1-42.9 ms, 19.4-21.6x on this machine in the
same session); designing the Butterworth filters once per band and rate
(``clarity.ecg.signal._design``: the analysis of one record designed six, about a millisecond
each) more than paid for it. Earlier in the session, after the beat-label and fiducial-lead
changes: 35.6 ms against 958.3 ms (26.9x), 24 h in 127 s; then 36.9 ms against 1241 ms (33.6x)
on a slower machine. Second session of 2026-12-06: 31.6 ms against 928.6 ms (29.4x), 24 h in
99 s (PVC 7758: the fiducial lead changed the labels since).

Earlier on the idle machine: 21.7 ms (2026-11-22), 26.5 ms and 31.1x after the R-peak
morphology match (``peaks._morphology``), 41.6 ms and 28.7x (loaded) after the atrial-wave
measurement (``clarity.ecg.signal.atrial``, about 3 ms of it); 45.4 ms and 27.9x earlier on
2026-12-06 while a CI run used the other core.
(On a loaded machine the ratio has been 25-64x per round: NeuroKit2 suffers more from the load.)

Where the time of ``analyze`` goes (cProfile, same record): delineation about 30 %, R-peak
detection 25 %, cleaning 25 % (a third of it mains detection), measurements and quality about
10 % each, interpretation under 1 %.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import wfdb

from clarity.ecg.signal import analyze, analyze_stream
from clarity.ecg.waveform import STANDARD_LEADS, Waveform

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DS1 = (101, 106, 108, 109, 112, 114, 115, 116, 118, 119, 122, 124, 201, 203, 205, 207, 208, 209,
       215, 220, 223, 230)  # fmt: skip
CHUNK_S = 10.0


def _best_of(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Fastest wall-clock and CPU (this process) time of ``repeats`` runs, in seconds."""
    wall, cpu = [], []
    for _ in range(repeats):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
    return min(wall), min(cpu)


def speed(record: int = 1, rounds: int = 5) -> None:
    import neurokit2 as nk  # noqa: PLC0415  # optional peer, imported only for the comparison

    rec = wfdb.rdrecord(str(DATA / "ludb" / "data" / str(record)))
    waveform = Waveform(rec.p_signal.T.astype(np.float32), float(rec.fs), STANDARD_LEADS)

    def ours() -> None:
        analyze(waveform)

    def neurokit() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for lead in rec.p_signal.T:
                nk.ecg_process(lead, sampling_rate=int(rec.fs))

    ours()  # warm-up: imports, caches, first-call allocations
    neurokit()
    # interleaved rounds, so that both see the same load on this shared machine
    results = [(_best_of(ours, 5), _best_of(neurokit, 1)) for _ in range(rounds)]
    ours_wall = min(r[0][0] for r in results)
    ours_cpu = min(r[0][1] for r in results)
    nk_wall = min(r[1][0] for r in results)
    nk_cpu = min(r[1][1] for r in results)
    ratios = sorted(r[1][0] / r[0][0] for r in results)
    print(f"LUDB record {record}: 12 leads x {waveform.duration_s:g} s at {rec.fs:g} Hz, "
          f"{rounds} interleaved rounds, best times")  # fmt: skip
    print(f"  clarity analyze (full pipeline):     {1000 * ours_wall:7.1f} ms wall "
          f"{1000 * ours_cpu:7.1f} ms CPU")  # fmt: skip
    print(f"  NeuroKit2 ecg_process, 12 x 1 lead:  {1000 * nk_wall:7.1f} ms wall "
          f"{1000 * nk_cpu:7.1f} ms CPU")  # fmt: skip
    print(f"  speed ratio: {nk_wall / ours_wall:.1f}x wall, {nk_cpu / ours_cpu:.1f}x CPU "
          f"(per-round wall ratios {ratios[0]:.1f}-{ratios[-1]:.1f}x; target >= 20x)")  # fmt: skip


def load_ds1() -> list[tuple[npt.NDArray[np.int16], npt.NDArray[np.float64]]]:
    """The DS1 records as int16 samples and per-lead gains (adu/mV), read once, up front."""
    records = []
    for record in DS1:
        rec = wfdb.rdrecord(str(DATA / "mitdb" / str(record)), physical=False)
        records.append(
            (rec.d_signal.T.astype(np.int16), np.asarray(rec.adc_gain, dtype=np.float64))
        )
    return records


def holter_chunks(
    records: list[tuple[npt.NDArray[np.int16], npt.NDArray[np.float64]]], hours: float
) -> Iterator[Waveform]:
    """DS1 records one after another, in 10 s float32 chunks, until ``hours`` are reached."""
    remaining = round(hours * 3600 * 360)
    chunk = round(CHUNK_S * 360)
    while remaining > 0:
        for digital, gain in records:
            for start in range(0, digital.shape[1], chunk):
                piece = digital[:, start : start + min(chunk, remaining)] / gain[:, None]
                remaining -= piece.shape[1]
                yield Waveform(piece.astype(np.float32), 360.0, ("II", "V1"))
                if remaining <= 0:
                    return


def memory(hours_list: tuple[float, ...]) -> None:
    print("Holter stream (2 leads, 360 Hz, MIT-BIH DS1 tiled, 10 s chunks, 60 s windows):")
    records = load_ds1()  # held outside the measurement: a file reader would stream them
    for hours in hours_list:
        tracemalloc.start()
        start = time.perf_counter()
        summary = analyze_stream(holter_chunks(records, hours))
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        signal_mb = hours * 3600 * 360 * 2 * 4 / 1e6
        print(
            f"  {hours:5.1f} h: peak traced memory {peak / 1e6:6.1f} MB (whole signal as float32 "
            f"would be {signal_mb:7.1f} MB); {summary.beat_count} beats, "
            f"HR {summary.heart_rate_mean_bpm} bpm, SDNN {summary.hrv.sdnn_ms and round(summary.hrv.sdnn_ms)} ms, "
            f"PVC {summary.premature_ventricular_count}, {seconds:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0, help="longest Holter length")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    speed()
    if not args.skip_memory:
        memory(tuple(h for h in (0.5, 2.0, args.hours) if h <= args.hours))


if __name__ == "__main__":
    main()
