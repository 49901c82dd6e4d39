"""DICOM ECG waveforms: the real Mortara file, round trips, SOP classes, scaling, damage."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from clarity.ecg.errors import CorruptFile, InvalidSignal, SignalTooLong, UnsupportedFormat
from clarity.ecg.formats import Limits, read_dicom, write_dicom
from clarity.ecg.formats.dicom import AMBULATORY_ECG, GENERAL_ECG, TWELVE_LEAD_ECG
from clarity.ecg.waveform import STANDARD_LEADS, Waveform
from tests.ecg.formats.synth import assert_same_recording, synthetic_ecg
from tests.realdata import shared_data


def _edited(data: bytes, edit: Callable[[Dataset], object]) -> bytes:
    """``data`` after ``edit(dataset)``, saved again."""
    ds = pydicom.dcmread(io.BytesIO(data))
    edit(ds)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.realdata
def test_real_mortara_ecg_rhythm_group() -> None:
    path = shared_data("dicom", "waveform_ecg.dcm")
    got = read_dicom(path)
    assert got.leads == STANDARD_LEADS  # SCP-ECG source codes, including III and aVR..aVF
    assert (got.fs, got.n_samples, got.duration_s) == (1000, 10_000, 10)  # not the 1.2 s median
    assert got.start == datetime(2013, 1, 25, 10, 59, 19, tzinfo=UTC)
    peak_to_peak_mv = np.ptp(got.samples, axis=1)
    assert np.all((peak_to_peak_mv > 0.3) & (peak_to_peak_mv < 5))
    # the recorded limb leads obey Einthoven and Goldberger: names are on the right rows
    np.testing.assert_allclose(got.lead("III"), got.lead("II") - got.lead("I"), atol=0.01)
    np.testing.assert_allclose(got.lead("aVR"), -(got.lead("I") + got.lead("II")) / 2, atol=0.01)


@pytest.mark.realdata
def test_real_file_scaling_matches_pydicom() -> None:
    path = shared_data("dicom", "waveform_ecg.dcm")
    microvolts = pydicom.dcmread(path).waveform_array(0)  # sensitivity applied, in µV
    got = read_dicom(path.read_bytes())
    np.testing.assert_allclose(got.samples, microvolts.T / 1000, atol=1e-6)


def test_round_trip_12_lead(ecg12: Waveform) -> None:
    data = write_dicom(ecg12)
    assert_same_recording(read_dicom(data), ecg12, tol_mv=0.0005 + 1e-6)
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.SOPClassUID == TWELVE_LEAD_ECG
    assert ds.Modality == "ECG"
    assert ds.WaveformSequence[0].MultiplexGroupLabel == "RHYTHM"
    assert ds.waveform_array(0).shape == (ecg12.n_samples, 12)
    codes = [
        c.ChannelSourceSequence[0].CodeValue
        for c in ds.WaveformSequence[0].ChannelDefinitionSequence
    ]
    assert codes[:3] == ["2:1", "2:2", "2:61"]


# DICOM CID 3001 / ISO 11073-10102 lead numbers, written as MDC "2:N"
_CID_3001 = {"I": 1, "II": 2, "III": 61, "aVR": 62, "aVL": 63, "aVF": 64, "V1": 3, "V2": 4,
             "V3": 5, "V4": 6, "V5": 7, "V6": 8, "V7": 9, "V8": 66, "V9": 67}  # fmt: skip


def test_leads_are_named_by_their_source_codes_alone() -> None:
    leads = tuple(_CID_3001)
    data = write_dicom(synthetic_ecg(leads=leads, duration_s=1))
    sources = pydicom.dcmread(io.BytesIO(data)).WaveformSequence[0].ChannelDefinitionSequence
    assert [c.ChannelSourceSequence[0].CodeValue for c in sources] == [
        f"2:{_CID_3001[lead]}" for lead in leads
    ]

    def drop_labels(ds: Dataset) -> None:
        for channel in ds.WaveformSequence[0].ChannelDefinitionSequence:
            del channel.ChannelLabel
            channel.ChannelSourceSequence[0].CodeMeaning = "unhelpful"

    assert read_dicom(_edited(data, drop_labels)).leads == leads


def test_unknown_start_and_unknown_lead_names() -> None:
    wave = synthetic_ecg(start=None, leads=("II", "CM5"), duration_s=2)
    got = read_dicom(write_dicom(wave))
    assert got.start is None
    assert got.leads == ("II", "CM5")


_LEADS_15 = (*STANDARD_LEADS, "V7", "V8", "V9")


@pytest.mark.parametrize(
    ("leads", "fs", "duration_s", "sop_class"),
    [
        (STANDARD_LEADS, 1000.0, 16.0, TWELVE_LEAD_ECG),
        (STANDARD_LEADS, 500.0, 60.0, GENERAL_ECG),
        (_LEADS_15, 250.0, 2.0, GENERAL_ECG),
        (("II", "V1"), 80.0, 5.0, AMBULATORY_ECG),
    ],
)
def test_most_specific_sop_class(
    leads: tuple[str, ...], fs: float, duration_s: float, sop_class: str
) -> None:
    data = write_dicom(synthetic_ecg(leads=leads, fs=fs, duration_s=duration_s))
    assert pydicom.dcmread(io.BytesIO(data)).SOPClassUID == sop_class
    assert read_dicom(data).leads == leads


def test_rate_no_ecg_class_admits_is_refused() -> None:
    with pytest.raises(InvalidSignal, match="resample"):
        write_dicom(synthetic_ecg(fs=2000, duration_s=1))


def test_sensitivity_correction_baseline_and_units() -> None:
    data = write_dicom(synthetic_ecg(leads=("I", "II", "V1"), duration_s=1))
    payload = pydicom.dcmread(io.BytesIO(data)).WaveformSequence[0].WaveformData
    raw = np.frombuffer(payload, dtype="<i2").reshape(-1, 3).astype(np.float64)

    def recalibrate(ds: Dataset) -> None:
        first, second, third = ds.WaveformSequence[0].ChannelDefinitionSequence
        first.ChannelSensitivity, first.ChannelSensitivityCorrectionFactor = "2", "0.5"
        first.ChannelBaseline = "10"
        second.ChannelSensitivityUnitsSequence[0].CodeValue = "mV"
        third.ChannelSensitivityUnitsSequence[0].CodeValue = "mm[Hg]"

    got = read_dicom(_edited(data, recalibrate))
    assert got.leads[:2] == ("I", "II")
    assert "V1" not in got.leads  # not a voltage
    np.testing.assert_allclose(got.lead("I"), (raw[:, 0] * 2 * 0.5 + 10) / 1000, rtol=1e-6)
    np.testing.assert_allclose(got.lead("II"), raw[:, 1], rtol=1e-6)


def test_start_with_zone_offset_and_group_offset() -> None:
    data = write_dicom(synthetic_ecg(leads=("II",), duration_s=1))

    def local_time(ds: Dataset) -> None:
        ds.AcquisitionDateTime = "20240501120000"
        ds.TimezoneOffsetFromUTC = "+0200"
        ds.WaveformSequence[0].MultiplexGroupTimeOffset = "250"

    got = read_dicom(_edited(data, local_time))
    assert got.start == datetime(2024, 5, 1, 10, 0, 0, 250_000, tzinfo=UTC)


def test_rhythm_group_is_chosen_over_a_median_beat() -> None:
    data = write_dicom(synthetic_ecg(leads=("II",), duration_s=2))

    def add_median_first(ds: Dataset) -> None:
        rhythm = ds.WaveformSequence[0]
        median = Dataset()
        median.update(rhythm)
        median.MultiplexGroupLabel, median.WaveformOriginality = "MEDIAN BEAT", "DERIVED"
        median.NumberOfWaveformSamples = 100
        median.WaveformData = rhythm.WaveformData[:200]
        rhythm.MultiplexGroupLabel = ""
        ds.WaveformSequence = [median, rhythm]

    assert read_dicom(_edited(data, add_median_first)).n_samples == 1000


def test_bare_dataset_without_part_10_header() -> None:
    wave = synthetic_ecg(leads=("II", "V1"), duration_s=1)
    ds = pydicom.dcmread(io.BytesIO(write_dicom(wave)))
    del ds.file_meta
    ds.preamble = None
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=True, little_endian=True)
    assert buffer.getvalue()[:2] == b"\x08\x00"
    assert_same_recording(read_dicom(buffer.getvalue()), wave, tol_mv=0.00051)


def test_truncated_waveform_data_is_corrupt() -> None:
    data = write_dicom(synthetic_ecg(duration_s=1))

    def truncate(ds: Dataset) -> None:
        ds.WaveformSequence[0].WaveformData = ds.WaveformSequence[0].WaveformData[:1000]

    with pytest.raises(CorruptFile, match="truncated"):
        read_dicom(_edited(data, truncate))


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_file_is_corrupt(keep: float) -> None:
    data = write_dicom(synthetic_ecg(duration_s=1))
    with pytest.raises(CorruptFile):
        read_dicom(data[: int(len(data) * keep)])


def test_dicom_without_waveform_is_unsupported() -> None:
    data = write_dicom(synthetic_ecg(duration_s=1))
    with pytest.raises(UnsupportedFormat, match="no waveform"):
        read_dicom(_edited(data, lambda ds: delattr(ds, "WaveformSequence")))


def test_limits_are_checked_before_decoding() -> None:
    data = write_dicom(synthetic_ecg(duration_s=1))
    with pytest.raises(SignalTooLong, match="channels"):
        read_dicom(data, limits=Limits(max_leads=8))
    with pytest.raises(SignalTooLong, match="samples"):
        read_dicom(data, limits=Limits(max_samples=1000))


def test_stated_rate_must_match() -> None:
    with pytest.raises(InvalidSignal, match="500 Hz"):
        read_dicom(write_dicom(synthetic_ecg(duration_s=1)), fs=1000)
