"""EDF/EDF+: round trips, physical dimensions, record padding, damaged files, limits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from clarity.ecg.errors import CorruptFile, InvalidSignal, SignalTooLong
from clarity.ecg.formats import Limits, read_edf, write_edf
from clarity.ecg.waveform import Waveform
from tests.ecg.formats.synth import assert_same_recording, synthetic_ecg

WHOLE_SECOND = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def _edf_file(path: Path, channels: list[tuple[str, str, float, np.ndarray]]) -> bytes:
    """An EDF+ written by pyedflib directly: (label, dimension, fs, physical values)."""
    writer = pyedflib.EdfWriter(str(path), len(channels), pyedflib.FILETYPE_EDFPLUS)
    try:
        writer.setSignalHeaders([
            {"label": label, "dimension": dim, "sample_frequency": fs,
             "physical_min": -2 * _peak(values), "physical_max": 2 * _peak(values),
             "digital_min": -32768, "digital_max": 32767, "transducer": "", "prefilter": ""}
            for label, dim, fs, values in channels
        ])  # fmt: skip
        writer.setStartdatetime(datetime(2023, 3, 4, 5, 6, 7))  # EDF holds wall-clock time
        writer.writeSamples([values for *_, values in channels])
    finally:
        writer.close()
    return path.read_bytes()


def _peak(values: np.ndarray) -> float:
    return float(np.max(np.abs(values))) or 1.0


def test_round_trip_within_half_a_microvolt() -> None:
    wave = synthetic_ecg(start=WHOLE_SECOND)
    assert_same_recording(read_edf(write_edf(wave)), wave, tol_mv=0.0005 + 1e-6)


def test_start_is_kept_to_the_second_and_unknown_stays_unknown() -> None:
    with_us = synthetic_ecg(leads=("II",), duration_s=2)
    assert read_edf(write_edf(with_us)).start == WHOLE_SECOND
    assert read_edf(write_edf(synthetic_ecg(start=None, duration_s=2))).start is None


def test_file_is_edf_plus_with_uv_and_ecg_labels() -> None:
    data = write_edf(synthetic_ecg(leads=("I", "II", "V1"), duration_s=2))
    assert data[:8] == b"0       "
    assert data[192:197] == b"EDF+C"
    n_signals = int(data[252:256])
    assert n_signals == 4  # three leads and the EDF+ annotation signal
    labels = [data[256 + 16 * i : 256 + 16 * (i + 1)].decode().strip() for i in range(3)]
    assert labels == ["ECG I", "ECG II", "ECG V1"]
    dims_at = 256 + n_signals * (16 + 80)  # after the labels and transducers
    assert data[dims_at : dims_at + 8] == b"uV      "


def test_partial_last_record_is_padded_with_the_last_sample() -> None:
    wave = synthetic_ecg(start=WHOLE_SECOND, duration_s=4.5, leads=("II", "V2"))
    got = read_edf(write_edf(wave))
    assert got.n_samples == 2500
    np.testing.assert_allclose(got.samples[:, :2250], wave.samples, atol=0.00051)
    np.testing.assert_array_equal(got.samples[:, 2250:], got.samples[:, 2249:2250].repeat(250, 1))


@pytest.mark.parametrize("fs", [360.0, 257.5, 128.0])
def test_rates_round_trip(fs: float) -> None:
    wave = synthetic_ecg(fs=fs, duration_s=4, leads=("II", "V1"), start=WHOLE_SECOND)
    assert_same_recording(read_edf(write_edf(wave)), wave, tol_mv=0.00051)


@pytest.mark.parametrize("gain", [200.0, 1716.0])
def test_stated_gain_sets_the_resolution(gain: float) -> None:
    wave = synthetic_ecg(start=WHOLE_SECOND, duration_s=2)
    assert_same_recording(read_edf(write_edf(wave, gain=gain)), wave, tol_mv=0.5 / gain + 1e-5)
    with pytest.raises(InvalidSignal, match="16-bit"):
        write_edf(wave, gain=40_000)


def test_dimensions_labels_and_non_voltage_channels(tmp_path: Path) -> None:
    ramp = np.linspace(-1, 1, 512)
    data = _edf_file(
        tmp_path / "mixed.edf",
        [("EKG II", "mV", 256, ramp), ("ECG V1", "uV", 256, 1000 * ramp),
         ("Lead V2", "V", 256, ramp / 1000), ("Resp", "%", 256, ramp)],
    )  # fmt: skip
    got = read_edf(data)
    assert got.leads == ("II", "V1", "V2")
    for row in got.samples:
        np.testing.assert_allclose(row, ramp, rtol=1e-4, atol=1e-4)
    assert got.start == datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_only_standard_leads_kept_when_rates_differ(tmp_path: Path) -> None:
    data = _edf_file(
        tmp_path / "rates.edf",
        [("ECG I", "mV", 256, np.zeros(512)), ("ECG II", "mV", 256, np.zeros(512)),
         ("EEG C3", "uV", 128, np.zeros(256))],
    )  # fmt: skip
    assert read_edf(data).leads[:2] == ("I", "II")


def test_leads_at_different_rates_are_refused(tmp_path: Path) -> None:
    data = _edf_file(
        tmp_path / "rates.edf",
        [("ECG I", "mV", 256, np.zeros(512)), ("ECG II", "mV", 128, np.zeros(256))],
    )
    with pytest.raises(InvalidSignal, match="different sampling rates"):
        read_edf(data)


def test_no_voltage_channel_is_invalid(tmp_path: Path) -> None:
    data = _edf_file(tmp_path / "spo2.edf", [("SpO2", "%", 1, np.full(2, 97.0))])
    with pytest.raises(InvalidSignal, match="no ECG"):
        read_edf(data)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.99])
def test_truncated_file_is_corrupt(keep: float) -> None:
    data = write_edf(synthetic_ecg(duration_s=2))
    with pytest.raises(CorruptFile, match="EDF"):
        read_edf(data[: int(len(data) * keep)])


def test_damaged_header_is_corrupt() -> None:
    data = bytearray(write_edf(synthetic_ecg(duration_s=2)))
    data[236:244] = b"banana  "  # number of data records
    with pytest.raises(CorruptFile, match="EDF"):
        read_edf(bytes(data))


def test_limits() -> None:
    data = write_edf(synthetic_ecg(duration_s=2))
    with pytest.raises(SignalTooLong, match="channels"):
        read_edf(data, limits=Limits(max_leads=4))
    with pytest.raises(SignalTooLong, match="MiB"):
        read_edf(data, limits=Limits(max_bytes=10_000))


def test_stated_rate_must_match(tmp_path: Path) -> None:
    wave = synthetic_ecg(duration_s=2, leads=("II",))
    with pytest.raises(InvalidSignal, match="500 Hz"):
        read_edf(write_edf(wave), fs=250)
    path = tmp_path / "ecg.edf"
    path.write_bytes(write_edf(wave))
    assert read_edf(path, fs=500).leads == ("II",)


def test_awkward_rate_is_kept_to_a_part_per_million() -> None:
    wave = Waveform(np.zeros((1, 999), np.float32), 333.333333, ("II",))
    assert read_edf(write_edf(wave)).fs == pytest.approx(333.333333, rel=1e-6)
