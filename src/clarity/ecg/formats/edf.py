"""EDF / EDF+ (and 24-bit BDF / BDF+ for reading) through ``pyedflib``.

Reading keeps the voltage channels (physical dimension µV, uV, mV, V, nV, in any case) and converts
them to mV; other channels (respiration, SpO2, annotations) are left out. All kept channels must
share one sampling rate; if they do not, the standard ECG leads are kept when they share one.

Writing produces EDF+ with 16-bit samples at a stated gain, physical dimension ``uV`` and labels
``ECG <lead>``. EDF stores whole data records (1 s long at integer rates), so a recording that is
not a whole number of records is padded at the end by repeating its last sample: reading it back
gives that padded length. EDF keeps no time zone: the start is written and read as UTC wall-clock
time. It is written to the whole second (EDF+ subseconds are read), and an unknown start is written
as 1985-01-01 00:00:00 (EDF's earliest date), which reads back as unknown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyedflib

from clarity.ecg.errors import CorruptFile, InvalidSignal
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
    scratch_dir,
    unit_scale_to_mv,
)
from clarity.ecg.waveform import STANDARD_LEADS, Float32Array, Waveform

UNKNOWN_START = datetime(1985, 1, 1)  # naive on purpose: EDF holds wall-clock time, no zone
_BDF_MAGIC = b"\xffBIOSEMI"


def read_edf(
    source: Path | bytes, *, fs: float | None = None, limits: Limits = DEFAULT_LIMITS
) -> Waveform:
    """Read an EDF, EDF+, BDF or BDF+ file.

    Parameters
    ----------
    source : Path | bytes
        The file, by path or as its bytes.
    fs : float, optional
        Expected sampling rate in Hz; ``InvalidSignal`` if the file states another.
    limits : Limits
        Size limits, checked on the header before samples are decoded.

    Returns
    -------
    Waveform
        Voltage channels in mV, leads named from the labels (``ECG II``, ``EKG V1`` → II, V1).

    Raises
    ------
    CorruptFile
        Not EDF/BDF compliant, or truncated (pyedflib's reason is given).
    InvalidSignal
        No voltage channel, or voltage channels at several sampling rates.
    SignalTooLong
        More channels or samples than ``limits``.
    """
    if isinstance(source, Path):
        check_bytes(source.stat().st_size, limits)
        return _read_path(source, fs, limits)
    check_bytes(len(source), limits)
    with scratch_dir() as tmp:
        path = tmp / ("upload.bdf" if source.startswith(_BDF_MAGIC) else "upload.edf")
        path.write_bytes(source)
        return _read_path(path, fs, limits)


def _read_path(path: Path, fs: float | None, limits: Limits) -> Waveform:
    try:
        reader = pyedflib.EdfReader(str(path))
    except OSError as exc:  # edflib's reason, without our scratch path
        reason = str(exc).replace(f"{path}: ", "").replace(str(path), "the file")
        if "Filesize" in reason:
            reason += ": its size does not match its header (a truncated upload?)"
        raise CorruptFile(f"could not read this EDF file: {reason}") from exc
    try:
        with parsing("EDF"):
            return _read_open(reader, fs, limits)
    finally:
        reader.close()


def _read_open(reader: Any, fs: float | None, limits: Limits) -> Waveform:
    counts = [int(c) for c in reader.getNSamples()]
    check_size(int(reader.signals_in_file), max(counts, default=0), limits)
    picked = _pick_channels(reader)
    rate = float(reader.getSampleFrequency(picked[0]))
    if fs is not None and not np.isclose(rate, fs):
        raise InvalidSignal(f"the file says {rate:g} Hz but fs={fs:g} Hz was given")
    channels: list[tuple[str, Float32Array]] = []
    for idx in picked:
        scale = unit_scale_to_mv(reader.getPhysicalDimension(idx)) or 1.0
        values = (reader.readSignal(idx) * scale).astype(np.float32)
        channels.append((lead_from_label(reader.getLabel(idx)), values))
    return build_waveform(channels, rate, _start(reader))


def _start(reader: Any) -> datetime | None:
    """Start from the header fields; EDF+ subseconds are in units of 100 ns in edflib."""
    start = datetime(
        reader.startdate_year, reader.startdate_month, reader.startdate_day,
        reader.starttime_hour, reader.starttime_minute, reader.starttime_second,
    )  # fmt: skip
    if start == UNKNOWN_START:
        return None
    return as_utc(start + timedelta(microseconds=round(int(reader.starttime_subsecond) / 10)))


def _pick_channels(reader: Any) -> list[int]:
    """Indices of the voltage channels, all at one sampling rate."""
    n = int(reader.signals_in_file)
    volts = [i for i in range(n) if unit_scale_to_mv(reader.getPhysicalDimension(i)) is not None]
    if not volts:
        dims = sorted({reader.getPhysicalDimension(i) for i in range(n)})
        raise InvalidSignal(f"no ECG (voltage) channels in the file; physical dimensions: {dims}")
    rates = {float(reader.getSampleFrequency(i)) for i in volts}
    if len(rates) == 1:
        return volts
    leads = [i for i in volts if lead_from_label(reader.getLabel(i)) in STANDARD_LEADS]
    if leads and len({float(reader.getSampleFrequency(i)) for i in leads}) == 1:
        return leads
    raise InvalidSignal(
        f"the voltage channels have different sampling rates ({sorted(rates)} Hz); "
        "Clarity needs one rate per recording"
    )


def write_edf(waveform: Waveform, *, gain: float = DEFAULT_GAIN) -> bytes:
    """Write EDF+ with 16-bit samples at ``gain`` ADC units per mV.

    Parameters
    ----------
    waveform : Waveform
        The recording; its start (UTC) becomes the EDF start date and time.
    gain : float
        ADC units per mV (default 1000: 1 µV resolution, ±32.767 mV range).

    Returns
    -------
    bytes
        The EDF+ file. Reading it back gives the samples within half an ADC unit, padded to a
        whole number of data records (see the module notes).
    """
    quantise(waveform.samples, gain)  # refuses samples beyond 16 bits, naming a gain that fits
    step_uv = 1000.0 / gain
    # whole µV: edflib prints header numbers in 8 characters and would round anything finer
    physical_uv = (round(-32768 * step_uv), round(32767 * step_uv))
    digital = _digital(waveform.samples, *physical_uv)
    start = UNKNOWN_START
    if waveform.start is not None:  # whole seconds: pyedflib <= 0.1.42 scales subseconds wrongly
        start = as_utc(waveform.start).replace(tzinfo=None, microsecond=0)
    with scratch_dir() as tmp:
        path = tmp / "ecg.edf"
        writer = pyedflib.EdfWriter(str(path), waveform.n_leads, pyedflib.FILETYPE_EDFPLUS)
        try:
            _set_headers(writer, waveform, physical_uv, start)
            per_record = int(writer.get_smp_per_record(0))
            writer.writeSamples(list(_pad_to_records(digital, per_record)), digital=True)
        finally:
            writer.close()
        return path.read_bytes()


def _digital(samples_mv: Float32Array, min_uv: int, max_uv: int) -> npt.NDArray[np.int32]:
    """Counts under the header's own linear map (its rounded physical range, not ``gain``)."""
    uv_per_count = (max_uv - min_uv) / 65535
    counts = np.rint((samples_mv.astype(np.float64) * 1000 - min_uv) / uv_per_count) - 32768
    digital: npt.NDArray[np.int32] = np.clip(counts, -32768, 32767).astype(np.int32)
    return digital


def _set_headers(
    writer: Any, waveform: Waveform, physical_uv: tuple[int, int], start: datetime
) -> None:
    common = {
        "dimension": "uV",
        "sample_frequency": waveform.fs,
        "physical_min": physical_uv[0],
        "physical_max": physical_uv[1],
        "digital_min": -32768,
        "digital_max": 32767,
        "transducer": "",
        "prefilter": "",
    }
    headers = [{"label": f"ECG {lead}"[:16], **common} for lead in waveform.leads]
    try:
        writer.setSignalHeaders(headers)
    except ValueError as exc:  # pyedflib finds no data record duration for this rate
        raise InvalidSignal(f"{waveform.fs:g} Hz cannot be stored in EDF: {exc}") from exc
    writer.setStartdatetime(start)


def _pad_to_records(digital: npt.NDArray[np.int32], per_record: int) -> npt.NDArray[np.int32]:
    missing = -digital.shape[1] % per_record
    if not missing:
        return digital
    return np.pad(digital, ((0, 0), (0, missing)), mode="edge")
