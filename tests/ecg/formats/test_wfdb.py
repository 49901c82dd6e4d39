"""WFDB: round trips, units, damaged uploads, limits, and real PhysioNet records."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import wfdb

from clarity.ecg.errors import CorruptFile, InvalidSignal, SignalTooLong, UnsupportedFormat
from clarity.ecg.formats import Limits, read_wfdb, write_wfdb, write_wfdb_zip
from clarity.ecg.waveform import Waveform
from tests.ecg.formats.synth import assert_same_recording, synthetic_ecg
from tests.realdata import shared_data


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _record(header: str, samples: list[list[int]]) -> dict[str, bytes]:
    """A hand-made format 16 record: ``header`` text and interleaved int16 samples."""
    data = np.asarray(samples, dtype="<i2").tobytes()
    return {"rec.hea": header.encode(), "rec.dat": data}


def test_round_trip_is_exact_within_half_an_adc_unit(ecg12: Waveform) -> None:
    got = read_wfdb(write_wfdb_zip(ecg12))
    assert_same_recording(got, ecg12, tol_mv=0.5 / 1000 + 1e-6)


@pytest.mark.parametrize("gain", [200.0, 1716.0])
def test_round_trip_at_a_stated_gain(ecg12: Waveform, gain: float) -> None:
    files = write_wfdb(ecg12, gain=gain)
    assert f"16 {gain:g}" in files["ecg.hea"].decode().replace(".0(", "(").replace("(0)", "")
    assert_same_recording(read_wfdb(files), ecg12, tol_mv=0.5 / gain + 1e-6)


def test_write_gives_a_header_and_format_16_signal_file(ecg12: Waveform) -> None:
    files = write_wfdb(ecg12, record_name="rec_1")
    assert set(files) == {"rec_1.hea", "rec_1.dat"}
    assert len(files["rec_1.dat"]) == 2 * ecg12.n_leads * ecg12.n_samples
    header = files["rec_1.hea"].decode().splitlines()
    assert header[0].startswith("rec_1 12 500 2000 10:00:00.123456 01/05/2024")
    assert all(
        " 16 " in line and line.endswith(lead)
        for line, lead in zip(header[1:], ecg12.leads, strict=True)
    )


def test_unknown_start_stays_unknown() -> None:
    wave = synthetic_ecg(start=None, leads=("II", "V1"), fs=360)
    assert read_wfdb(write_wfdb(wave)).start is None


def test_sample_beyond_16_bits_is_refused_with_a_usable_gain(ecg12: Waveform) -> None:
    loud = Waveform(ecg12.samples * 40, ecg12.fs, ecg12.leads)
    with pytest.raises(InvalidSignal, match=r"gain <= \d+"):
        write_wfdb(loud)


@pytest.mark.parametrize("bad", ["a.b", "../x", "", "two words"])
def test_record_name_must_be_plain(ecg12: Waveform, bad: str) -> None:
    with pytest.raises(InvalidSignal):
        write_wfdb(ecg12, record_name=bad)


@pytest.mark.parametrize(
    ("unit", "factor"), [("mV", 1.0), ("uV", 1e-3), ("μV", 1e-3), ("V", 1e3), ("", 1.0)]
)
def test_physical_units_become_millivolts(unit: str, factor: float) -> None:
    suffix = f"/{unit}" if unit else ""
    header = f"rec 1 250 4\nrec.dat 16 200{suffix} 16 0 0 0 0 ECG II\n"
    got = read_wfdb(_record(header, [[200], [400], [-200], [0]]))
    assert got.leads == ("II",)
    np.testing.assert_allclose(got.samples[0], np.array([1, 2, -1, 0]) * factor, rtol=1e-6)


def test_non_voltage_channels_are_left_out() -> None:
    header = "rec 2 250 3\nrec.dat 16 100/mmHg 16 0 0 0 0 ABP\nrec.dat 16 100/mV 16 0 0 0 0 V1\n"
    got = read_wfdb(_record(header, [[100, 50], [200, 60], [300, 70]]))
    assert got.leads == ("V1",)
    np.testing.assert_allclose(got.samples[0], [0.5, 0.6, 0.7], rtol=1e-6)


def test_only_non_voltage_channels_is_invalid() -> None:
    header = "rec 1 250 2\nrec.dat 16 100/mmHg 16 0 0 0 0 ABP\n"
    with pytest.raises(InvalidSignal, match="voltage"):
        read_wfdb(_record(header, [[1], [2]]))


def test_missing_samples_are_refused() -> None:
    header = "rec 1 250 3\nrec.dat 16 100/mV 16 0 0 0 0 II\n"
    with pytest.raises(InvalidSignal, match="1 missing"):
        read_wfdb(_record(header, [[1], [-32768], [3]]))


def test_truncated_signal_file_is_corrupt(ecg12: Waveform) -> None:
    files = write_wfdb(ecg12)
    files["ecg.dat"] = files["ecg.dat"][:1001]
    with pytest.raises(CorruptFile, match="WFDB"):
        read_wfdb(files)


def test_signal_file_not_sent_is_named(ecg12: Waveform) -> None:
    files = write_wfdb(ecg12)
    del files["ecg.dat"]
    with pytest.raises(CorruptFile, match=r"ecg\.dat"):
        read_wfdb(_zip(files))


@pytest.mark.parametrize("target", ["other.dat", "../../etc/passwd", "/etc/passwd"])
def test_header_cannot_read_files_outside_the_upload(target: str) -> None:
    header = f"rec 1 250 2\n{target} 16 100/mV 16 0 0 0 0 II\n"
    with pytest.raises(CorruptFile, match=r"not sent|WFDB header"):
        read_wfdb({"rec.hea": header.encode(), "rec.dat": b"\0" * 4})


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"ecg.dat": b"\0\0"}, "no WFDB header"),
        ({"a.hea": b"a 0\n", "b.hea": b"b 0\n"}, "several WFDB headers"),
        (
            {
                "rec.hea": b"rec 1 250 1\nrec.dat 16 100 16 0 0 0 0 II\n",
                "rec.dat": b"\0\0",
                "bad name.txt": b"",
            },
            "unusable file name",
        ),
    ],
)
def test_unusable_uploads_say_why(files: dict[str, bytes], message: str) -> None:
    with pytest.raises(CorruptFile, match=message):
        read_wfdb(_zip(files))


def test_damaged_zip_is_corrupt(ecg12: Waveform) -> None:
    archive = write_wfdb_zip(ecg12)
    with pytest.raises(CorruptFile, match="zip"):
        read_wfdb(archive[: len(archive) // 2])


def test_archive_clutter_and_folders_are_ignored(ecg12: Waveform) -> None:
    files = write_wfdb(ecg12)
    nested = {f"export/{name}": content for name, content in files.items()}
    nested["__MACOSX/export/._ecg.hea"] = b"junk"
    assert_same_recording(read_wfdb(_zip(nested)), ecg12, tol_mv=0.0006)


def test_header_without_signals_is_invalid() -> None:
    with pytest.raises(InvalidSignal, match="no signals"):
        read_wfdb({"rec.hea": b"rec 0\n"})


def test_multi_segment_records_are_unsupported() -> None:
    header = b"multi/2 1 250 20\nseg1 10\nseg2 10\n"
    with pytest.raises(UnsupportedFormat, match="multi-segment"):
        read_wfdb({"multi.hea": header})


def test_limits_are_checked_on_the_header(ecg12: Waveform) -> None:
    files = write_wfdb(ecg12)
    with pytest.raises(SignalTooLong, match="12 channels"):
        read_wfdb(files, limits=Limits(max_leads=8))
    with pytest.raises(SignalTooLong, match="samples"):
        read_wfdb(files, limits=Limits(max_samples=10_000))
    with pytest.raises(SignalTooLong, match="MiB"):
        read_wfdb(files, limits=Limits(max_bytes=1000))


def test_stated_rate_must_match_the_header(ecg12: Waveform) -> None:
    with pytest.raises(InvalidSignal, match="500 Hz"):
        read_wfdb(write_wfdb(ecg12), fs=250)
    assert read_wfdb(write_wfdb(ecg12), fs=500).fs == 500


@pytest.mark.realdata
def test_real_mitdb_record_matches_wfdb_and_is_plausible() -> None:
    header = shared_data("mitdb", "101.hea")
    got = read_wfdb(header)
    reference = wfdb.rdrecord(str(header.with_suffix("")))
    assert got.leads == ("II", "V1")  # MLII is lead II
    assert got.fs == 360
    assert got.n_samples == 650_000
    np.testing.assert_allclose(got.samples.T, reference.p_signal, atol=1e-6)
    r_amplitude_mv = np.percentile(got.lead("II"), 99.9) - np.median(got.lead("II"))
    assert 0.5 < r_amplitude_mv < 5


@pytest.mark.realdata
def test_real_ludb_record_from_a_zip_upload() -> None:
    folder = shared_data("ludb", "data")
    upload = _zip({name: (folder / name).read_bytes() for name in ("1.hea", "1.dat", "1.i")})
    got = read_wfdb(upload)
    from_disk = read_wfdb(folder / "1.hea")
    reference = wfdb.rdrecord(str(folder / "1"))
    assert got.leads == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    assert (got.fs, got.n_samples, got.duration_s) == (500, 5000, 10)
    np.testing.assert_array_equal(got.samples, from_disk.samples)
    np.testing.assert_allclose(got.samples.T, reference.p_signal, atol=1e-6)
    assert 0.3 < float(np.max(np.ptp(got.samples, axis=1))) < 10


def test_path_to_a_record_on_disk(tmp_path: Path, ecg12: Waveform) -> None:
    for name, content in write_wfdb(ecg12).items():
        (tmp_path / name).write_bytes(content)
    assert_same_recording(read_wfdb(tmp_path / "ecg.hea"), ecg12, tol_mv=0.0006)
    assert_same_recording(read_wfdb(tmp_path / "ecg"), ecg12, tol_mv=0.0006)
