"""WFDB records (PhysioNet): read any single-segment record ``wfdb`` reads, write format 16.

A record is a header (``.hea``) plus signal files (``.dat``). On disk it is read by its header path;
in memory (an upload) it comes as a zip archive holding one header and the files it names, or as
a mapping of file names to bytes. Physical units mV, µV, V (and nV) are converted to mV; channels
in other units (mmHg, %, unitless) are not ECG and are left out.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import wfdb

from clarity.ecg.errors import CorruptFile, InvalidSignal, UnsupportedFormat
from clarity.ecg.formats._common import (
    DEFAULT_GAIN,
    DEFAULT_LIMITS,
    Limits,
    as_utc,
    build_waveform,
    check_bytes,
    check_size,
    parsing,
    quantise,
    scratch_dir,
    unit_scale_to_mv,
)
from clarity.ecg.waveform import Float32Array, Waveform

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-~+]*$")
_RECORD_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
_MAX_ARCHIVE_MEMBERS = 64


def read_wfdb(
    source: Path | bytes | Mapping[str, bytes],
    *,
    fs: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Waveform:
    """Read a WFDB record.

    Parameters
    ----------
    source : Path | bytes | Mapping[str, bytes]
        Path to the header (``100.hea``, or the record path without extension); or zip archive
        bytes holding one header and its signal files (folders inside the zip are ignored); or a
        mapping ``{"100.hea": b"...", "100.dat": b"..."}``.
    fs : float, optional
        Expected sampling rate in Hz; ``InvalidSignal`` if the header states another.
    limits : Limits
        Size limits checked on the header before any sample is decoded.

    Returns
    -------
    Waveform
        Voltage channels in mV, leads named by canonical lead name (``MLII`` → II); start from the
        header's base date and time (taken as UTC) when both are present.

    Raises
    ------
    CorruptFile
        Missing or unreadable header or signal file, truncated signal file.
    UnsupportedFormat
        Multi-segment records.
    SignalTooLong
        More channels or samples than ``limits``.
    """
    if isinstance(source, Path):
        record = source.with_suffix("") if source.suffix == ".hea" else source
        return _read_record(record, fs, limits, allowed=None)
    files = _unzip(source, limits) if isinstance(source, bytes | bytearray) else dict(source)
    check_bytes(sum(len(b) for b in files.values()), limits, "WFDB record")
    with scratch_dir() as tmp:
        record = _stage(files, tmp)
        return _read_record(record, fs, limits, allowed=set(files))


def _unzip(data: bytes, limits: Limits) -> dict[str, bytes]:
    if not data.startswith(b"PK"):
        raise CorruptFile("a WFDB upload must be a zip holding the .hea header and its .dat files")
    with parsing("zip"):
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    members = [m for m in members if not _is_clutter(m.filename)]
    if len(members) > _MAX_ARCHIVE_MEMBERS:
        raise CorruptFile(
            f"the zip holds {len(members)} files; upload one WFDB record (a header and its "
            "signal files)"
        )
    check_bytes(sum(m.file_size for m in members), limits, "unzipped archive")
    files: dict[str, bytes] = {}
    for member in members:
        name = PurePosixPath(member.filename).name
        if name in files:
            raise CorruptFile(f"the zip holds two files named {name}")
        with parsing("zip"):
            files[name] = archive.read(member)
    return files


def _is_clutter(path: str) -> bool:
    """Files archivers add that are not part of a record (macOS resource forks, Thumbs.db)."""
    name = PurePosixPath(path).name
    return (
        path.startswith("__MACOSX/") or name.startswith("._") or name in {".DS_Store", "Thumbs.db"}
    )


def _stage(files: Mapping[str, bytes], folder: Path) -> Path:
    """Write the uploaded files under ``folder``; return the record path (header without .hea)."""
    headers = sorted(name for name in files if name.endswith(".hea"))
    if not headers:
        raise CorruptFile("no WFDB header (.hea) in the upload: send the header with its .dat")
    if len(headers) > 1:
        raise CorruptFile(
            f"the upload holds several WFDB headers ({', '.join(headers)}): send one record"
        )
    for name, content in files.items():
        if not _SAFE_NAME.match(name):
            raise CorruptFile(f"unusable file name {name!r} in the WFDB upload")
        (folder / name).write_bytes(_ascii_micro(content) if name.endswith(".hea") else content)
    return folder / headers[0].removesuffix(".hea")


def _ascii_micro(header: bytes) -> bytes:
    """``µV``/``μV`` (UTF-8 or Latin-1) as ``uV``: ``wfdb`` silently drops the µ and reads volts."""
    for micro in ("µ".encode(), "μ".encode(), "µ".encode("latin-1")):
        header = header.replace(micro, b"u")
    return header


def _read_record(
    record: Path, fs: float | None, limits: Limits, allowed: set[str] | None
) -> Waveform:
    with parsing("WFDB header"):
        header = wfdb.rdheader(str(record))
    if isinstance(header, wfdb.MultiRecord):
        raise UnsupportedFormat("multi-segment WFDB records are not supported: send one segment")
    _check_header(header, fs, limits, allowed)
    with parsing("WFDB"):
        rec = wfdb.rdrecord(str(record), return_res=32)
    channels: list[tuple[str, Float32Array]] = []
    for idx, (name, unit) in enumerate(zip(rec.sig_name, rec.units, strict=True)):
        scale = unit_scale_to_mv(unit or "mV")
        if scale is not None:
            channels.append((name, (rec.p_signal[:, idx] * np.float32(scale)).astype(np.float32)))
    if not channels:
        raise InvalidSignal(f"no ECG (voltage) channels in the record; units are {rec.units}")
    start = as_utc(rec.base_datetime) if rec.base_date and rec.base_time else None
    return build_waveform(channels, float(rec.fs), start)


def _check_header(header: Any, fs: float | None, limits: Limits, allowed: set[str] | None) -> None:
    if not header.n_sig:
        raise InvalidSignal("the WFDB header describes no signals")
    check_size(int(header.n_sig), int(header.sig_len or 0), limits)
    if fs is not None and not np.isclose(float(header.fs), fs):
        raise InvalidSignal(f"the header says {header.fs:g} Hz but fs={fs:g} Hz was given")
    if allowed is None:
        return
    missing = sorted({f for f in header.file_name if f not in allowed})
    if missing:
        raise CorruptFile(f"the WFDB header names files that were not sent: {', '.join(missing)}")


def write_wfdb(
    waveform: Waveform, *, record_name: str = "ecg", gain: float = DEFAULT_GAIN
) -> dict[str, bytes]:
    """Write a WFDB record: format 16, ``gain`` ADC units per mV, baseline 0, units mV.

    Parameters
    ----------
    waveform : Waveform
        The recording; its start (UTC) becomes the header's base date and time.
    record_name : str
        Letters, digits, ``_`` and ``-``.
    gain : float
        ADC units per mV (default 1000: 1 µV resolution, ±32.767 mV range).

    Returns
    -------
    dict[str, bytes]
        ``{"<record_name>.hea": ..., "<record_name>.dat": ...}``. Reading it back gives the samples
        within half an ADC unit (``0.5 / gain`` mV).
    """
    if not _RECORD_NAME.match(record_name):
        raise InvalidSignal(f"record name {record_name!r} must be letters, digits, _ or -")
    digital = np.ascontiguousarray(quantise(waveform.samples, gain).T)
    start = as_utc(waveform.start).replace(tzinfo=None) if waveform.start is not None else None
    n_leads = waveform.n_leads
    with scratch_dir() as tmp:
        wfdb.wrsamp(
            record_name, fs=waveform.fs, units=["mV"] * n_leads, sig_name=list(waveform.leads),
            d_signal=digital, fmt=["16"] * n_leads, adc_gain=[gain] * n_leads,
            baseline=[0] * n_leads,
            base_datetime=start, write_dir=str(tmp),
        )  # fmt: skip
        return {path.name: path.read_bytes() for path in sorted(tmp.iterdir())}


def write_wfdb_zip(
    waveform: Waveform, *, record_name: str = "ecg", gain: float = DEFAULT_GAIN
) -> bytes:
    """The record of ``write_wfdb`` as one zip archive (what ``read_wfdb`` accepts as bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in write_wfdb(waveform, record_name=record_name, gain=gain).items():
            archive.writestr(name, content)
    return buffer.getvalue()
