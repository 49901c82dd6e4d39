"""Pure ECG file readers and writers: every format converts to and from ``Waveform`` here.

=============  ==============================================  ====================================
format         read                                            write
=============  ==============================================  ====================================
``wfdb``       zip of one record (``.hea`` + signal files),    zip of ``ecg.hea`` + ``ecg.dat``,
               or a ``.hea`` path; any single-segment format   format 16 at ``gain``
``edf``        EDF, EDF+, BDF, BDF+                            EDF+, 16 bit at ``gain``
``dicom``      12-lead / General / Ambulatory ECG Waveform     the most specific of those classes
``csv``        header of lead names, optional time column      ``time_s`` + leads, 0.1 µV
``json``       device lead dict or Clarity's full form         full form, 0.1 µV
``json-leads`` (read as ``json``)                              device lead dict, 0.1 µV
=============  ==============================================  ====================================

Every reader returns samples in mV with canonical lead names in standard order, derives III, aVR,
aVL and aVF when only I and II are present, refuses sizes beyond ``Limits`` (``SignalTooLong``,
413), damaged files (``CorruptFile``, 422, with a reason), other formats (``UnsupportedFormat``,
415) and missing or non-finite samples (``InvalidSignal``, 422). Times without a zone are UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clarity.ecg.errors import CorruptFile, UnsupportedFormat
from clarity.ecg.formats._common import DEFAULT_GAIN, DEFAULT_LIMITS, Limits, check_bytes
from clarity.ecg.formats._sniff import SUPPORTED_FORMATS, Format, sniff_format
from clarity.ecg.formats.csv import read_csv, write_csv
from clarity.ecg.formats.dicom import read_dicom, write_dicom
from clarity.ecg.formats.edf import read_edf, write_edf
from clarity.ecg.formats.json import read_json, write_json, write_json_leads
from clarity.ecg.formats.wfdb import read_wfdb, write_wfdb, write_wfdb_zip
from clarity.ecg.waveform import Waveform

__all__ = [
    "DEFAULT_GAIN",
    "DEFAULT_LIMITS",
    "FILE_EXTENSIONS",
    "MEDIA_TYPES",
    "SUPPORTED_FORMATS",
    "Format",
    "Limits",
    "read_csv",
    "read_dicom",
    "read_edf",
    "read_json",
    "read_waveform",
    "read_wfdb",
    "sniff_format",
    "write_csv",
    "write_dicom",
    "write_edf",
    "write_json",
    "write_json_leads",
    "write_waveform",
    "write_wfdb",
    "write_wfdb_zip",
]

MEDIA_TYPES: dict[Format, str] = {
    "wfdb": "application/zip", "edf": "application/octet-stream", "dicom": "application/dicom",
    "csv": "text/csv", "json": "application/json", "json-leads": "application/json",
}  # fmt: skip
"""Media type of what ``write_waveform`` returns, per format."""

FILE_EXTENSIONS: dict[Format, str] = {
    "wfdb": ".zip", "edf": ".edf", "dicom": ".dcm", "csv": ".csv", "json": ".json",
    "json-leads": ".json",
}  # fmt: skip

_Reader = Callable[..., Waveform]
_READERS: dict[Format, _Reader] = {
    "wfdb": read_wfdb, "edf": read_edf, "dicom": read_dicom, "csv": read_csv, "json": read_json,
    "json-leads": read_json,
}  # fmt: skip
_SNIFF_BYTES = 4096


def read_waveform(
    data: bytes | Path,
    *,
    filename: str | None = None,
    format: Format | None = None,
    fs: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Waveform:
    """Read an ECG file of any supported format.

    Parameters
    ----------
    data : bytes | Path
        The file's bytes (an upload) or its path. A path to a WFDB header (``.hea``) reads the
        record's files next to it; WFDB as bytes must be a zip of the header and signal files.
    filename : str, optional
        The upload's name; its extension helps when the content alone does not tell the format.
    format : Format, optional
        Skip sniffing and read as this format.
    fs : float, optional
        Sampling rate in Hz for files that carry none (CSV without time column, JSON without
        ``sampling_rate``); ``InvalidSignal`` if the file states a different rate.
    limits : Limits
        Sizes beyond which the file is refused with ``SignalTooLong``.

    Returns
    -------
    Waveform
        Samples in mV, canonical lead names in standard order, aware-UTC start when known.

    Raises
    ------
    UnsupportedFormat
        Unrecognised content or an unknown ``format``.
    CorruptFile
        Damaged, truncated or incomplete file; the message says what is wrong.
    SignalTooLong
        More bytes, channels or samples than ``limits``.
    InvalidSignal
        Parsable but not usable as an ECG (no voltage channel, unknown or mixed rates, NaN).
    """
    if format is not None and format not in _READERS:
        raise UnsupportedFormat(f"unknown format {format!r}; use one of {list(SUPPORTED_FORMATS)}")
    if isinstance(data, Path):
        if data.suffix.lower() == ".hea":
            return read_wfdb(data, fs=fs, limits=limits)
        check_bytes(data.stat().st_size, limits)
        return read_waveform(data.read_bytes(), filename=filename or data.name, format=format,
                             fs=fs, limits=limits)  # fmt: skip
    check_bytes(len(data), limits)
    if not data:
        raise CorruptFile("the file is empty")
    chosen = format or sniff_format(data[:_SNIFF_BYTES], filename)
    return _READERS[chosen](bytes(data), fs=fs, limits=limits)


def write_waveform(
    waveform: Waveform,
    format: Format,
    *,
    gain: float = DEFAULT_GAIN,
) -> bytes:
    """Write ``waveform`` as one file of ``format``.

    Parameters
    ----------
    waveform : Waveform
        The recording.
    format : Format
        ``wfdb`` gives a zip of ``ecg.hea`` and ``ecg.dat`` (use ``write_wfdb`` for the files
        themselves); see ``MEDIA_TYPES`` and ``FILE_EXTENSIONS`` for serving the result.
    gain : float
        ADC units per mV for the 16-bit formats (WFDB, EDF, DICOM); default 1000 (1 µV per unit,
        ±32.767 mV). The text formats keep 0.1 µV and ignore it.

    Returns
    -------
    bytes
        The file; ``read_waveform`` reads it back to the same leads, rate and start, samples
        within half a quantisation step (EDF: whole seconds of start, padded to whole records).
    """
    writers = {
        "wfdb": lambda: write_wfdb_zip(waveform, gain=gain),
        "edf": lambda: write_edf(waveform, gain=gain),
        "dicom": lambda: write_dicom(waveform, gain=gain),
        "csv": lambda: write_csv(waveform),
        "json": lambda: write_json(waveform),
        "json-leads": lambda: write_json_leads(waveform),
    }
    if format not in writers:
        raise UnsupportedFormat(f"unknown format {format!r}; use one of {list(SUPPORTED_FORMATS)}")
    return writers[format]()
