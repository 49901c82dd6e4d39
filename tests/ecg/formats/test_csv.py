"""CSV: the documented dialect, rate inference, lead names and units, damaged files."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from clarity.ecg.errors import CorruptFile, InvalidSignal, SignalTooLong, SignalTooShort
from clarity.ecg.formats import Limits, read_csv, write_csv
from clarity.ecg.waveform import Waveform
from tests.ecg.formats.synth import assert_same_recording, synthetic_ecg

TEXT_TOL_MV = 0.00005 + 1e-7


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_round_trip_with_time_column(ecg12: Waveform) -> None:
    data = write_csv(ecg12)
    lines = data.decode().splitlines()
    assert lines[:3] == ["# fs_hz=500", "# start=2024-05-01T10:00:00.123456+00:00",
                         "time_s,I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6"]  # fmt: skip
    assert_same_recording(read_csv(data), ecg12, tol_mv=TEXT_TOL_MV)


def test_round_trip_without_time_column_or_start() -> None:
    wave = synthetic_ecg(fs=360, leads=("II", "V1"), start=None)
    got = read_csv(write_csv(wave, time_column=False, decimals=6))
    assert_same_recording(got, wave, tol_mv=0.5e-6 + 1e-7)


@pytest.mark.parametrize(("fs", "time_format"), [(500.0, "%.6f"), (360.0, "%.3f"), (257.5, "%.6f")])
def test_rate_inferred_from_the_time_column(fs: float, time_format: str) -> None:
    wave = synthetic_ecg(fs=fs, leads=("II",), start=None)
    times = np.arange(wave.n_samples) / fs
    rows = "\n".join(
        f"{time_format % t},{v:.4f}" for t, v in zip(times, wave.samples[0], strict=True)
    )
    got = read_csv(_csv(f"time,II\n{rows}\n"))
    assert got.fs == fs
    assert_same_recording(got, wave, tol_mv=TEXT_TOL_MV)


def test_time_in_milliseconds() -> None:
    got = read_csv(_csv("time_ms;V1\n0;0.1\n4;0.2\n8;0.3\n"))
    assert got.fs == 250
    assert got.leads == ("V1",)


def test_uneven_time_column_is_refused() -> None:
    with pytest.raises(InvalidSignal, match="evenly spaced"):
        read_csv(_csv("time_s,II\n0,0\n0.002,0\n0.010,0\n0.012,0\n"))


def test_rate_is_needed_and_must_agree() -> None:
    body = _csv("II\n0.1\n0.2\n")
    with pytest.raises(InvalidSignal, match="pass fs"):
        read_csv(body)
    assert read_csv(body, fs=250).fs == 250
    with pytest.raises(InvalidSignal, match="500 Hz"):
        read_csv(_csv("# fs_hz=500\nII\n0.1\n0.2\n"), fs=250)


def test_only_lead_i_and_ii_gives_six_limb_leads() -> None:
    got = read_csv(_csv("# fs: 250\ni,ii\n0.1,0.3\n0.2,0.5\n"))
    assert got.leads == ("I", "II", "III", "aVR", "aVL", "aVF")
    np.testing.assert_allclose(got.lead("III"), [0.2, 0.3], atol=1e-6)
    np.testing.assert_allclose(got.lead("aVR"), [-0.2, -0.35], atol=1e-6)


def test_dialect_variants() -> None:
    text = (
        "\ufeff# exported by a cart\n# sampling_rate = 250\n# start=2024-01-02T03:04:05+01:00\n"
        'sample\t"MLII [uV]"\tECG V1 (mV)\tAVR\n0\t100\t0.5\t-0.1\n1\t200\t0.6\t-0.2\n'
    )
    got = read_csv(_csv(text))
    assert got.leads == ("II", "aVR", "V1")
    assert got.start == datetime(2024, 1, 2, 2, 4, 5, tzinfo=UTC)
    np.testing.assert_allclose(got.samples, [[0.1, 0.2], [-0.1, -0.2], [0.5, 0.6]], atol=1e-6)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"\xff\xfe\x00junk", CorruptFile, "UTF-8"),
        (b"", CorruptFile, "empty"),
        (b"# only comments\n", CorruptFile, "empty"),
        (b"0.1,0.2\n0.3,0.4\n", CorruptFile, "name the columns"),
        (b"I,II\n", SignalTooShort, "no data rows"),
        (b"# fs=250\nI,II\n0.1,abc\n", CorruptFile, "abc"),
        (b"# fs=250\nI,II\n0.1,0.2\n0.3\n", CorruptFile, "CSV"),
        (b"# fs=250\nI,II,III\n0.1,0.2\n", CorruptFile, "3 columns"),
        (b"# fs=250\ntime_s,sample\n0,1\n", CorruptFile, "no lead"),
        (b"# fs=250\nII [mmHg]\n1\n", CorruptFile, "not a voltage"),
        (b"# fs=250\nII,II\n1,2\n", InvalidSignal, "twice"),
        (b"# fs=250\nII\nnan\n", InvalidSignal, "non-finite"),
        (b"# fs=250\n# start=yesterday\nII\n1\n", CorruptFile, "ISO 8601"),
    ],
)
def test_damaged_files_say_why(data: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        read_csv(data)


def test_limits() -> None:
    data = write_csv(synthetic_ecg(duration_s=1))
    with pytest.raises(SignalTooLong, match="channels"):
        read_csv(data, limits=Limits(max_leads=4))
    with pytest.raises(SignalTooLong, match="samples"):
        read_csv(data, limits=Limits(max_samples=1000))
    with pytest.raises(SignalTooLong, match="MiB"):
        read_csv(data, limits=Limits(max_bytes=1000))
