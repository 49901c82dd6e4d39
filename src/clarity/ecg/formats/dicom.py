"""DICOM ECG waveforms (12-lead, General and Ambulatory ECG Waveform Storage) through ``pydicom``.

Reading takes the rhythm multiplex group (label containing ``RHYTHM``; otherwise the longest
ORIGINAL group; median beats and other DERIVED groups only when nothing else is there). Each
channel is ``raw * sensitivity * correction + baseline`` in its sensitivity units (µV, mV, V),
converted to mV; lead names come from the channel source code (SCP-ECG ``5.6.3-9-N`` or
MDC ``2:N``), else from the channel label or the code meaning. The start is the Acquisition
DateTime with its UTC offset (or Timezone Offset From UTC; UTC when neither is given) plus the
group's time offset.

Writing makes one ORIGINAL ``RHYTHM`` group of 16-bit signed samples at a stated gain (channel
sensitivity ``1000 / gain`` µV), MDC lead codes, in the most specific SOP class whose constraints
the recording meets: 12-lead ECG (≤ 13 channels, 200-1000 Hz, ≤ 16384 samples), General ECG
(≤ 24 channels, 200-1000 Hz), Ambulatory ECG (≤ 12 channels, 50-1000 Hz).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid
from pydicom.valuerep import DT

from clarity.ecg.errors import CorruptFile, InvalidSignal, UnsupportedFormat
from clarity.ecg.formats._common import (
    DEFAULT_GAIN,
    DEFAULT_LIMITS,
    Limits,
    as_utc,
    build_waveform,
    check_bytes,
    check_size,
    lead_from_label,
    parsing,
    quantise,
    unit_scale_to_mv,
)
from clarity.ecg.waveform import Float32Array, Waveform

TWELVE_LEAD_ECG = UID("1.2.840.10008.5.1.4.1.1.9.1.1")
GENERAL_ECG = UID("1.2.840.10008.5.1.4.1.1.9.1.2")
AMBULATORY_ECG = UID("1.2.840.10008.5.1.4.1.1.9.1.3")

# SCP-ECG / ISO 11073-10102 lead numbers (DICOM CID 3001): the same N in "5.6.3-9-N" and "2:N".
_LEAD_NUMBERS = {
    1: "I", 2: "II", 61: "III", 62: "aVR", 63: "aVL", 64: "aVF",
    3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6",
    9: "V7", 66: "V8", 67: "V9", 11: "V3R", 12: "V4R", 13: "V5R", 16: "X", 17: "Y", 18: "Z",
}  # fmt: skip
_LEAD_CODES = {name: number for number, name in _LEAD_NUMBERS.items()}
_CODE_PREFIXES = {"SCPECG": "5.6.3-9-", "MDC": "2:"}
_DTYPES = {(8, "SB"): "i1", (8, "UB"): "u1", (16, "SS"): "<i2", (16, "US"): "<u2",
           (32, "SL"): "<i4", (32, "UL"): "<u4"}  # fmt: skip
# (SOP class, max channels, min Hz, max Hz, max samples), most specific first
_SOP_CLASSES = (
    (TWELVE_LEAD_ECG, 13, 200.0, 1000.0, 16384),
    (GENERAL_ECG, 24, 200.0, 1000.0, None),
    (AMBULATORY_ECG, 12, 50.0, 1000.0, None),
)


def read_dicom(
    source: Path | bytes, *, fs: float | None = None, limits: Limits = DEFAULT_LIMITS
) -> Waveform:
    """Read the rhythm waveform of a DICOM ECG.

    Parameters
    ----------
    source : Path | bytes
        The DICOM file (Part 10, or a bare dataset starting at group 0008), by path or as bytes.
    fs : float, optional
        Expected sampling rate in Hz; ``InvalidSignal`` if the file states another.
    limits : Limits
        Size limits, checked before the samples are decoded.

    Returns
    -------
    Waveform
        Voltage channels in mV, named leads, aware-UTC start when the file states one.

    Raises
    ------
    UnsupportedFormat
        A DICOM object without a waveform (an image, a report).
    CorruptFile
        Unreadable or truncated file, waveform data shorter than declared.
    SignalTooLong
        More channels or samples than ``limits``.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    check_bytes(len(data), limits)
    with parsing("DICOM"):
        ds = _dcmread(data)
        groups = list(ds.get("WaveformSequence") or [])
    if not groups:
        raise UnsupportedFormat("the DICOM object holds no waveform (for ECG images use digitize)")
    index = _rhythm_group(groups)
    with parsing("DICOM waveform"):
        return _read_group(ds, groups[index], fs, limits)


def _dcmread(data: bytes) -> Any:
    try:
        return pydicom.dcmread(io.BytesIO(data))
    except InvalidDicomError as exc:
        if data[:2] == b"\x08\x00":  # a bare dataset without the Part 10 header: group 0008
            return pydicom.dcmread(io.BytesIO(data), force=True)
        raise CorruptFile("not a DICOM file, or its header is damaged or truncated") from exc


def _rhythm_group(groups: list[Any]) -> int:
    for index, group in enumerate(groups):
        if "RHYTHM" in str(group.get("MultiplexGroupLabel", "")).upper():
            return index
    originals = [i for i, g in enumerate(groups) if g.get("WaveformOriginality") == "ORIGINAL"]
    candidates = originals or list(range(len(groups)))
    return max(candidates, key=lambda i: int(groups[i].get("NumberOfWaveformSamples") or 0))


_REQUIRED = ("NumberOfWaveformChannels", "NumberOfWaveformSamples", "SamplingFrequency",
             "WaveformBitsAllocated", "WaveformSampleInterpretation", "WaveformData",
             "ChannelDefinitionSequence")  # fmt: skip


def _read_group(ds: Any, group: Any, fs: float | None, limits: Limits) -> Waveform:
    missing = [keyword for keyword in _REQUIRED if keyword not in group]
    if missing:
        raise CorruptFile(f"the waveform lacks {', '.join(missing)}")
    n_channels = int(group.NumberOfWaveformChannels)
    n_samples = int(group.NumberOfWaveformSamples)
    rate = float(group.SamplingFrequency)
    check_size(n_channels, n_samples, limits)
    if fs is not None and not np.isclose(rate, fs):
        raise InvalidSignal(f"the file says {rate:g} Hz but fs={fs:g} Hz was given")
    raw = _raw_samples(group, n_channels, n_samples)
    definitions = list(group.ChannelDefinitionSequence)
    if len(definitions) != n_channels:
        raise CorruptFile(f"{len(definitions)} channel definitions for {n_channels} channels")
    channels: list[tuple[str, Float32Array]] = []
    for idx, channel in enumerate(definitions):
        values = _physical_mv(raw[:, idx], channel)
        if values is not None:
            channels.append((_lead_name(channel, idx), values))
    if not channels:
        raise InvalidSignal("no channel of the waveform is calibrated in volts")
    return build_waveform(channels, rate, _start(ds, group))


def _raw_samples(group: Any, n_channels: int, n_samples: int) -> np.ndarray[Any, Any]:
    bits, kind = int(group.WaveformBitsAllocated), str(group.WaveformSampleInterpretation)
    if (bits, kind) not in _DTYPES:
        raise UnsupportedFormat(f"waveform samples of {bits} bits {kind} are not supported")
    dtype = np.dtype(_DTYPES[(bits, kind)])
    payload = bytes(group.WaveformData)
    expected = n_channels * n_samples * dtype.itemsize
    if len(payload) < expected:
        raise CorruptFile(
            f"the waveform data is truncated: {len(payload)} bytes of the {expected} declared"
        )
    return np.frombuffer(payload[:expected], dtype=dtype).reshape(n_samples, n_channels)


def _physical_mv(raw: np.ndarray[Any, Any], channel: Any) -> Float32Array | None:
    """``raw * sensitivity * correction + baseline`` in mV, or None if not a voltage channel."""
    units = channel.get("ChannelSensitivityUnitsSequence") or []
    scale = unit_scale_to_mv(str(units[0].get("CodeValue", ""))) if units else None
    if scale is None or "ChannelSensitivity" not in channel:
        return None
    factor = float(channel.ChannelSensitivity) * float(
        channel.get("ChannelSensitivityCorrectionFactor") or 1.0
    )
    baseline = float(channel.get("ChannelBaseline") or 0.0)
    return ((raw.astype(np.float64) * factor + baseline) * scale).astype(np.float32)


def _lead_name(channel: Any, idx: int) -> str:
    sources = channel.get("ChannelSourceSequence") or []
    code = sources[0] if sources else Dataset()
    prefix = _CODE_PREFIXES.get(str(code.get("CodingSchemeDesignator", "")), "")
    value = str(code.get("CodeValue", ""))
    if prefix and value.startswith(prefix) and value[len(prefix) :].isdigit():
        number = int(value[len(prefix) :])
        if number in _LEAD_NUMBERS:
            return _LEAD_NUMBERS[number]
    label = str(channel.get("ChannelLabel") or code.get("CodeMeaning") or "")
    return lead_from_label(label) if label else f"channel {idx + 1}"


def _start(ds: Any, group: Any) -> datetime | None:
    text = str(ds.get("AcquisitionDateTime") or "")
    if not text and ds.get("AcquisitionDate"):
        text = f"{ds.AcquisitionDate}{ds.get('AcquisitionTime') or ''}"
    if not text:
        return None
    with parsing("DICOM date-time"):
        start = datetime.fromisoformat(DT(text).isoformat())
    if start.tzinfo is None and ds.get("TimezoneOffsetFromUTC"):
        start = start.replace(tzinfo=_offset(str(ds.TimezoneOffsetFromUTC)))
    offset_ms = float(group.get("MultiplexGroupTimeOffset") or 0.0)
    return as_utc(start + timedelta(milliseconds=offset_ms))


def _offset(text: str) -> timezone:
    """``+HHMM`` / ``-HHMM`` as a timezone."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def write_dicom(waveform: Waveform, *, gain: float = DEFAULT_GAIN) -> bytes:
    """Write a DICOM ECG Waveform instance (Part 10 file, explicit VR little endian).

    Parameters
    ----------
    waveform : Waveform
        The recording. Patient and study attributes are left empty: fill them in upstream.
    gain : float
        ADC units per mV (default 1000: 1 µV resolution, ±32.767 mV range).

    Returns
    -------
    bytes
        The file; the SOP class is chosen as the module notes say.

    Raises
    ------
    InvalidSignal
        No ECG SOP class admits the channel count or sampling rate (resample first), or samples
        exceed the 16-bit range at ``gain``.
    """
    sop_class = _sop_class(waveform)
    digital = quantise(waveform.samples, gain)
    ds = _base_dataset(sop_class, waveform.start)
    ds.WaveformSequence = [_multiplex_group(waveform, digital.T, gain)]
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _sop_class(waveform: Waveform) -> UID:
    for uid, max_channels, min_hz, max_hz, max_samples in _SOP_CLASSES:
        if (
            waveform.n_leads <= max_channels
            and min_hz <= waveform.fs <= max_hz
            and (max_samples is None or waveform.n_samples <= max_samples)
        ):
            return uid
    raise InvalidSignal(
        f"no DICOM ECG waveform class takes {waveform.n_leads} leads at {waveform.fs:g} Hz "
        "(12-lead/General ECG: 200-1000 Hz, up to 24 leads; Ambulatory: 50-1000 Hz, up to "
        "12 leads): resample or select leads first"
    )


def _base_dataset(sop_class: UID, start: datetime | None) -> Dataset:
    instance_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = instance_uid
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.InstanceNumber = "ECG", 1
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex",
                    "ReferringPhysicianName", "StudyID", "AccessionNumber", "SeriesNumber",
                    "Manufacturer"):  # fmt: skip
        setattr(ds, keyword, None)  # type 2: present and empty, filled in upstream if known
    moment = as_utc(start) if start is not None else datetime.now(UTC)
    ds.StudyDate = ds.ContentDate = moment.strftime("%Y%m%d")
    ds.StudyTime = ds.ContentTime = moment.strftime("%H%M%S.%f")
    if start is not None:
        ds.AcquisitionDateTime = moment.strftime("%Y%m%d%H%M%S.%f+0000")
        ds.TimezoneOffsetFromUTC = "+0000"
    ds.AcquisitionContextSequence = []
    return ds


def _multiplex_group(waveform: Waveform, digital: np.ndarray[Any, Any], gain: float) -> Dataset:
    group = Dataset()
    group.MultiplexGroupTimeOffset = "0"
    group.WaveformOriginality = "ORIGINAL"
    group.NumberOfWaveformChannels = waveform.n_leads
    group.NumberOfWaveformSamples = waveform.n_samples
    group.SamplingFrequency = f"{waveform.fs:.10g}"
    group.MultiplexGroupLabel = "RHYTHM"
    group.ChannelDefinitionSequence = [_channel(lead, gain) for lead in waveform.leads]
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.WaveformData = np.ascontiguousarray(digital, dtype="<i2").tobytes()
    return group


def _channel(lead: str, gain: float) -> Dataset:
    number = _LEAD_CODES.get(lead, 0)
    source = _code(f"2:{number}", "MDC", f"Lead {lead}" if number else "Lead, unspecified")
    channel = Dataset()
    channel.ChannelSourceSequence = [source]
    channel.ChannelLabel = lead
    channel.ChannelSensitivity = f"{1000.0 / gain:.10g}"
    channel.ChannelSensitivityUnitsSequence = [_code("uV", "UCUM", "microvolt")]
    channel.ChannelSensitivityCorrectionFactor = "1"
    channel.ChannelBaseline = "0"
    channel.ChannelSampleSkew = "0"
    channel.WaveformBitsStored = 16
    return channel


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, scheme, meaning
    return code
