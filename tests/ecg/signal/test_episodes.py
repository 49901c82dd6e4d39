"""Rhythm episodes: synthetic RR sequences with known truth, streaming = batch, MIT-BIH records."""

from __future__ import annotations

from collections import Counter

import numpy as np
import numpy.typing as npt
import pytest

from clarity.ecg.signal.episodes import (
    Episode,
    EpisodeKind,
    TrackerState,
    advance,
    detect_episodes,
)
from tests.ecg.signal import mitdb_rhythm

FS = 250.0
Beats = tuple[npt.NDArray[np.int64], npt.NDArray[np.str_]]


def beats_from_rr(rr_s: npt.ArrayLike, labels: str | None = None, start_s: float = 0.5) -> Beats:
    rr = np.asarray(rr_s, dtype=float)
    times = start_s + np.concatenate([[0.0], np.cumsum(rr)])
    names = labels if labels is not None else "N" * times.size
    return np.round(times * FS).astype(np.int64), np.array(list(names), dtype=str)


def sinus(n: int, hr_bpm: float = 70.0, seed: int = 0) -> npt.NDArray[np.float64]:
    """Sinus RR with 2 % beat-to-beat jitter."""
    rng = np.random.default_rng(seed)
    return (60.0 / hr_bpm) * (1 + 0.02 * rng.standard_normal(n))


def fibrillation(n: int, seed: int = 0) -> npt.NDArray[np.float64]:
    """Independent RR intervals, 0.35-1.1 s (the ventricular response to AF)."""
    return np.random.default_rng(seed).uniform(0.35, 1.1, n)


def kinds(found: list[Episode]) -> Counter[EpisodeKind]:
    return Counter(e.kind for e in found)


def test_regular_sinus_rhythm_has_no_episode() -> None:
    r_idx, labels = beats_from_rr(sinus(300))
    assert detect_episodes(r_idx, labels, FS) == []


def test_af_episode_found_with_its_boundaries() -> None:
    rr = np.concatenate([sinus(120, seed=1), fibrillation(200, seed=2), sinus(120, seed=3)])
    r_idx, labels = beats_from_rr(rr)
    af = [e for e in detect_episodes(r_idx, labels, FS) if e.kind == "atrial_fibrillation"]
    assert len(af) == 1
    onset_s, offset_s = r_idx[120] / FS, r_idx[320] / FS
    assert abs(af[0].start_idx / FS - onset_s) < 15 and abs(af[0].end_idx / FS - offset_s) < 15
    assert 60 < af[0].heart_rate_bpm < 110  # type: ignore[operator]


def test_af_shorter_than_30_s_is_no_episode() -> None:
    rr = np.concatenate([sinus(120, seed=1), fibrillation(30, seed=2), sinus(120, seed=3)])
    r_idx, labels = beats_from_rr(rr)
    assert sum(rr[120:150]) < 30
    assert "atrial_fibrillation" not in kinds(detect_episodes(r_idx, labels, FS))


def test_sinus_arrhythmia_and_bigeminy_are_not_af() -> None:
    n = np.arange(400)
    respiratory = 0.85 * (1 + 0.15 * np.sin(2 * np.pi * n / 5.0))  # ±15 % with breathing
    r_idx, labels = beats_from_rr(respiratory)
    assert "atrial_fibrillation" not in kinds(detect_episodes(r_idx, labels, FS))
    bigeminy = np.tile([0.55, 1.15], 200) * (
        1 + 0.02 * np.random.default_rng(4).standard_normal(400)
    )
    r_idx, labels = beats_from_rr(bigeminy, "N" + "VN" * 200)
    state, _ = advance(None, r_idx, labels, fs=FS, final=True)
    assert "atrial_fibrillation" not in kinds(detect_episodes(r_idx, labels, FS))
    assert state.pvc_count == 200


def test_irregular_rhythm_with_locked_p_waves_is_not_af() -> None:
    rr = np.concatenate([sinus(60), fibrillation(200, seed=11), sinus(60)])
    r_idx, labels = beats_from_rr(rr)

    def af(lock: npt.NDArray[np.float64] | None) -> list[Episode]:
        found = detect_episodes(r_idx, labels, FS, p_lock=lock)
        return [e for e in found if e.kind == "atrial_fibrillation"]

    assert af(np.full(r_idx.size, 0.9)) == []  # the same wave before every QRS
    assert len(af(np.full(r_idx.size, 0.05))) == 1
    assert af(np.full(r_idx.size, np.nan)) == af(None) and len(af(None)) == 1  # unknown
    # a few locked beats among the fibrillation (the median decides) do not veto it
    assert len(af(np.where(np.arange(r_idx.size) % 3 == 0, 0.9, 0.1))) == 1
    with pytest.raises(ValueError, match="same length"):
        detect_episodes(r_idx, labels, FS, p_lock=np.zeros(3))


def test_premature_labels_inside_af_are_not_pacs() -> None:
    rr = fibrillation(300, seed=5)
    labels = "".join("S" if k > 0 and rr[k - 1] < 0.55 else "N" for k in range(301))
    r_idx, names = beats_from_rr(rr, labels)
    state, _ = advance(None, r_idx, names, fs=FS, final=True)
    assert state.af_beats > 250
    assert state.pac_count < 0.1 * labels.count("S")


def test_pause_needs_a_measured_interval() -> None:
    rr = np.concatenate([sinus(50), [3.2], sinus(50, seed=2)])
    r_idx, labels = beats_from_rr(rr)
    pauses = [e for e in detect_episodes(r_idx, labels, FS) if e.kind == "pause"]
    assert len(pauses) == 1 and pauses[0].duration_s(FS) == pytest.approx(3.2, abs=0.01)
    valid = np.ones(r_idx.size, bool)
    valid[51] = False  # the signal was unreadable there: no interval was measured
    assert "pause" not in kinds(detect_episodes(r_idx, labels, FS, rr_valid=valid))


def test_ventricular_run_and_its_rate() -> None:
    rr = np.concatenate([sinus(40), [0.42] * 5, [0.9], sinus(40, seed=2)])
    labels = "N" * 41 + "VVVVV" + "N" * 41
    r_idx, names = beats_from_rr(rr, labels)
    runs = [e for e in detect_episodes(r_idx, names, FS) if e.kind == "ventricular_run"]
    assert len(runs) == 1 and runs[0].n_beats == 5
    assert runs[0].heart_rate_bpm == pytest.approx(60 / 0.42, rel=0.02)
    couplet = "N" * 41 + "VV" + "N" * 44
    assert "ventricular_run" not in kinds(detect_episodes(r_idx, np.array(list(couplet)), FS))


def test_bradycardia_and_tachycardia_runs() -> None:
    rr = np.concatenate([sinus(40), sinus(20, hr_bpm=40), sinus(40), sinus(30, hr_bpm=140)])
    r_idx, labels = beats_from_rr(rr)
    found = kinds(detect_episodes(r_idx, labels, FS))
    assert found["bradycardia"] == 1 and found["tachycardia"] == 1


def test_streaming_in_any_pieces_equals_batch() -> None:
    rr = np.concatenate(
        [sinus(100), fibrillation(150, seed=6), [2.5], sinus(60), [0.4] * 4, sinus(80)]
    )
    labels = "N" * 312 + "VVVV" + "N" * 80
    r_idx, names = beats_from_rr(rr, labels)
    rng = np.random.default_rng(7)
    lock = np.where(np.arange(r_idx.size) < 180, 0.1, 0.9)  # AF locked from its middle on
    lock[rng.choice(r_idx.size, 40)] = np.nan
    batch = detect_episodes(r_idx, names, FS, p_lock=lock)
    for _ in range(3):
        state: TrackerState | None = None
        ended: list[Episode] = []
        cuts = np.sort(rng.choice(np.arange(1, r_idx.size), size=12, replace=False))
        for lo, hi in zip([0, *cuts], [*cuts, r_idx.size], strict=True):
            restored = TrackerState.from_json(state.to_json()) if state else None
            state, updates = advance(
                restored,
                r_idx[lo:hi],
                names[lo:hi],
                fs=FS,
                p_lock=lock[lo:hi],
                final=hi == r_idx.size,
            )
            ended += [u.episode for u in updates if u.phase == "end"]
        assert ended == batch
    found = kinds(batch)  # fast stretches of the AF are tachycardia runs too
    assert found["atrial_fibrillation"] == found["pause"] == found["ventricular_run"] == 1


def test_a_tracker_saved_before_the_p_wave_lock_still_advances() -> None:
    rr = np.concatenate([sinus(60), fibrillation(120, seed=8)])
    r_idx, labels = beats_from_rr(rr)
    state, _ = advance(None, r_idx[:100], labels[:100], fs=FS)
    saved = state.to_json()
    del saved["p_lock"]
    restored = TrackerState.from_json(saved)
    assert restored.p_lock == (None,) * len(restored.r_idx)
    _, updates = advance(restored, r_idx[100:], labels[100:], fs=FS, final=True)
    assert any(u.episode.kind == "atrial_fibrillation" for u in updates)


def test_onset_comes_before_the_end_and_marks_the_episode_ongoing() -> None:
    rr = np.concatenate([sinus(60), fibrillation(120, seed=8)])
    r_idx, labels = beats_from_rr(rr)
    state, updates = advance(None, r_idx, labels, fs=FS)
    onsets = [u.episode for u in updates if u.episode.kind == "atrial_fibrillation"]
    assert len(onsets) == 1 and updates[0].phase == "onset" and onsets[0].ongoing
    _, closing = advance(state, [], [], fs=FS, final=True)
    af_end = [u for u in closing if u.episode.kind == "atrial_fibrillation"]
    assert [(u.phase, u.episode.start_idx) for u in af_end] == [("end", onsets[0].start_idx)]
    assert not af_end[0].episode.ongoing


def test_finished_tracker_refuses_more_beats() -> None:
    r_idx, labels = beats_from_rr(sinus(10))
    state, _ = advance(None, r_idx, labels, fs=FS, final=True)
    with pytest.raises(ValueError, match="finished"):
        advance(state, r_idx + 10_000, labels, fs=FS)


AF_RECORDS = ("201", "203")
NON_AF_RECORDS = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119",
    "122", "124", "205", "207", "208", "209", "215", "220", "223", "230",
)  # fmt: skip


@pytest.mark.realdata
@pytest.mark.slow
def test_af_episodes_on_mitbih_match_the_rhythm_annotations() -> None:
    """Annotated beats in, AF episodes out, scored against the (AFIB/(AFL rhythm marks."""
    reference: list[tuple[int, int]] = []
    detected: list[tuple[int, int]] = []
    for number, record in enumerate(AF_RECORDS):
        annotated = mitdb_rhythm.load(record)
        found = detect_episodes(annotated.r_idx, annotated.labels, mitdb_rhythm.FS_HZ)
        offset = number * 10**8  # one time line for both records
        mine = [(e.start_idx, e.end_idx) for e in found if e.kind == "atrial_fibrillation"]
        truth = mitdb_rhythm.reference_episodes(annotated, ("(AFIB", "(AFL"))
        print(f"{record}: AF {mitdb_rhythm.score(truth, mine)}")
        detected += [(a + offset, b + offset) for a, b in mine]
        reference += [(a + offset, b + offset) for a, b in truth]
    total = mitdb_rhythm.score(reference, detected)
    print(f"201+203: AF {total}")
    assert total.sensitivity is not None and total.sensitivity > 0.85
    assert total.duration_sensitivity is not None and total.duration_sensitivity > 0.9
    assert total.ppv is not None and total.ppv > 0.6
    assert total.duration_ppv is not None and total.duration_ppv > 0.8


@pytest.mark.realdata
@pytest.mark.slow
def test_little_af_in_records_without_it() -> None:
    """False AF time over the 20 DS1 records without AF (108, noisy with an irregular sinus
    rhythm, is the worst)."""
    false_s = total_s = 0.0
    for record in NON_AF_RECORDS:
        annotated = mitdb_rhythm.load(record)
        found = detect_episodes(annotated.r_idx, annotated.labels, mitdb_rhythm.FS_HZ)
        af = [e for e in found if e.kind == "atrial_fibrillation"]
        false_s += sum(e.duration_s(mitdb_rhythm.FS_HZ) for e in af)
        total_s += annotated.n_samples / mitdb_rhythm.FS_HZ
    print(f"false AF: {false_s:.0f} s of {total_s:.0f} s")
    assert false_s < 0.02 * total_s


@pytest.mark.realdata
@pytest.mark.parametrize("record", ["207", "215", "205"])
def test_ventricular_tachycardia_runs_on_mitbih(record: str) -> None:
    annotated = mitdb_rhythm.load(record)
    found = detect_episodes(annotated.r_idx, annotated.labels, mitdb_rhythm.FS_HZ)
    fast = [
        (e.start_idx, e.end_idx)
        for e in found
        if e.kind == "ventricular_run" and (e.heart_rate_bpm or 0) >= 100
    ]
    reference = mitdb_rhythm.reference_episodes(annotated, ("(VT",))
    result = mitdb_rhythm.score(reference, fast)
    assert result.sensitivity is not None and result.sensitivity >= 0.8
    assert result.ppv is not None and result.ppv >= 0.8
