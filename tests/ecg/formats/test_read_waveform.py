"""read_waveform / write_waveform: sniffing, dispatch, paths, limits, and damaged uploads."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from clarity.ecg.errors import CorruptFile, SignalTooLong, UnsupportedFormat
from clarity.ecg.formats import (
    FILE_EXTENSIONS,
    MEDIA_TYPES,
    SUPPORTED_FORMATS,
    Format,
    Limits,
    read_waveform,
    sniff_format,
    write_waveform,
    write_wfdb,
)
from clarity.ecg.waveform import Waveform
from clarity.errors import ClarityError
from tests.ecg.formats.synth import START, assert_same_recording, synthetic_ecg
from tests.realdata import shared_data

WHOLE_SECOND_ECG = synthetic_ecg(start=START.replace(microsecond=0))  # EDF keeps whole seconds


def test_supported_formats_cover_the_format_type() -> None:
    assert set(SUPPORTED_FORMATS) == set(get_args(Format))
    assert set(MEDIA_TYPES) == set(FILE_EXTENSIONS) == set(SUPPORTED_FORMATS)


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_every_format_round_trips_through_the_sniffer(fmt: Format) -> None:
    data = write_waveform(WHOLE_SECOND_ECG, fmt)
    tol_mv = 0.00005 + 1e-7 if fmt in ("csv", "json", "json-leads") else 0.0005 + 1e-6
    assert_same_recording(read_waveform(data), WHOLE_SECOND_ECG, tol_mv=tol_mv)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("wfdb", "wfdb"), ("edf", "edf"), ("dicom", "dicom"), ("csv", "csv"), ("json", "json"),
     ("json-leads", "json")],
)  # fmt: skip
def test_sniffing_by_content_alone(fmt: Format, expected: Format) -> None:
    head = write_waveform(synthetic_ecg(duration_s=1), fmt)[:4096]
    assert sniff_format(head) == expected


@pytest.mark.parametrize(
    ("head", "filename", "expected"),
    [
        (b"II\n0.1\n0.2\n", "lead.csv", "csv"),
        (b"I\tII\n0.1\t0.2\n", None, "csv"),
        (b"\x00\x01binary", "scan.dcm", "dicom"),
        (b"\x00\x01binary", "night.EDF", "edf"),
        (b'\xef\xbb\xbf  {"sampling_rate": 80}', None, "json"),
    ],
)
def test_sniffing_uses_the_name_when_content_is_ambiguous(
    head: bytes, filename: str | None, expected: Format
) -> None:
    assert sniff_format(head, filename) == expected


@pytest.mark.parametrize(
    ("head", "filename"),
    [(b"100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n", None),
     (b"anything", "100.hea")],
)  # fmt: skip
def test_a_wfdb_header_alone_asks_for_its_signal_file(head: bytes, filename: str | None) -> None:
    with pytest.raises(CorruptFile, match="zip"):
        sniff_format(head, filename)


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"\x89PNG\r\n\x1a\n\x00\x00", "ecg.png"), (b"just some words", None), (b"%PDF-1.7", None)],
)
def test_unknown_content_is_unsupported(data: bytes, filename: str | None) -> None:
    with pytest.raises(UnsupportedFormat, match="unrecognised"):
        read_waveform(data, filename=filename)


def test_empty_upload_is_corrupt() -> None:
    with pytest.raises(CorruptFile, match="empty"):
        read_waveform(b"")


def test_stated_format_skips_sniffing_and_unknown_formats_are_refused() -> None:
    data = b"II\n0.1\n0.2\n"
    assert read_waveform(data, format="csv", fs=250).leads == ("II",)
    with pytest.raises(UnsupportedFormat, match="unknown format"):
        read_waveform(data, format="xml")  # type: ignore[arg-type]  # deliberately not a Format
    with pytest.raises(UnsupportedFormat, match="unknown format"):
        write_waveform(synthetic_ecg(), "xml")  # type: ignore[arg-type]  # deliberately wrong


def test_fs_reaches_the_reader() -> None:
    assert read_waveform(b"II;V1\n0.1;0.2\n0.3;0.4\n", fs=125).fs == 125


def test_paths_are_read_by_content_and_name(tmp_path: Path) -> None:
    wave = WHOLE_SECOND_ECG
    by_name: tuple[Format, ...] = ("edf", "dicom", "csv")
    for fmt in by_name:
        path = tmp_path / f"ecg{FILE_EXTENSIONS[fmt]}"
        path.write_bytes(write_waveform(wave, fmt))
        assert read_waveform(path).leads == wave.leads
    for name, content in write_wfdb(wave).items():
        (tmp_path / name).write_bytes(content)
    assert_same_recording(read_waveform(tmp_path / "ecg.hea"), wave, tol_mv=0.00051)


@pytest.mark.realdata
def test_real_files_by_path() -> None:
    assert read_waveform(shared_data("dicom", "waveform_ecg.dcm")).fs == 1000
    assert read_waveform(shared_data("mitdb", "101.hea")).leads == ("II", "V1")


def test_size_limit_applies_before_anything_is_parsed(tmp_path: Path) -> None:
    data = write_waveform(synthetic_ecg(duration_s=1), "csv")
    with pytest.raises(SignalTooLong, match="MiB"):
        read_waveform(data, limits=Limits(max_bytes=100))
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with pytest.raises(SignalTooLong, match="MiB"):
        read_waveform(path, limits=Limits(max_bytes=100))


def test_gain_reaches_the_integer_writers() -> None:
    wave = Waveform(np.array([[0.0, 20.0]], np.float32), 500, ("II",))
    integer_formats: tuple[Format, ...] = ("wfdb", "edf", "dicom")
    for fmt in integer_formats:
        write_waveform(wave, fmt, gain=1000)
        with pytest.raises(ClarityError, match="gain <= 1638"):
            write_waveform(wave, fmt, gain=2000)


def _damaged_copies(data: bytes, seed: int) -> list[bytes]:
    """Truncations and byte flips of ``data``."""
    rng = np.random.default_rng(seed)
    copies = [data[: int(len(data) * keep)] for keep in (0.02, 0.25, 0.5, 0.75, 0.98)]
    for _ in range(6):
        damaged = bytearray(data)
        at = rng.integers(0, len(data), size=8)
        damaged_values = rng.integers(0, 256, size=8, dtype=np.uint8)
        for idx, value in zip(at, damaged_values, strict=True):
            damaged[int(idx)] = int(value)
        copies.append(bytes(damaged))
    return copies


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_damaged_uploads_raise_only_clarity_errors(fmt: Format) -> None:
    """Whatever the damage, the caller gets a typed 4xx error or a waveform, never a crash."""
    data = write_waveform(synthetic_ecg(duration_s=1, leads=("I", "II", "V1")), fmt)
    statuses = []
    for damaged in _damaged_copies(data, seed=len(fmt)):
        try:
            wave = read_waveform(damaged, filename=f"upload{FILE_EXTENSIONS[fmt]}")
        except ClarityError as exc:
            statuses.append(exc.status_code)
        else:
            statuses.append(200 if wave.n_leads >= 1 else 0)
    assert all(s == 200 or 400 <= s < 500 for s in statuses), statuses
    assert any(400 <= s < 500 for s in statuses)  # the damage was noticed at least once
