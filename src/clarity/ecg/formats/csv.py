"""CSV: one row per sample, one column per lead, values in mV.

The dialect read and written:

- UTF-8 text (a byte-order mark is ignored); ``.`` as decimal point.
- Optional leading lines starting with ``#`` carry metadata as ``key=value`` (or ``key: value``):
  ``fs_hz`` (also ``fs``, ``sampling_rate``) in Hz and ``start`` (ISO 8601; UTC when no offset).
  Other ``#`` lines are comments.
- A header row names the columns. The delimiter is the one of ``,`` ``;`` tab that the header
  uses most (a single-lead file may have none). Lead names take any spelling Clarity accepts
  (``ii``, ``MLII``, ``AVR``, ``ECG V1``); a unit in brackets after a name (``V1 [uV]``,
  ``II (mV)``) scales that column, mV otherwise.
- An optional time column, ``time``/``t``/``time_s``/``seconds`` (s) or ``time_ms``/``ms``, gives
  the sampling rate when neither ``fs`` nor the metadata does; its values must be evenly spaced
  (each within 0.4 sampling periods of the regular grid, so timestamps rounded to the millisecond
  are fine). Columns ``sample``, ``index``, ``sample_idx`` are ignored.

The writer emits ``# fs_hz=...``, ``# start=...`` (when known), the header ``time_s,I,II,...`` and
the values with ``decimals`` decimals (0.1 µV by default), comma-delimited.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clarity.ecg.errors import CorruptFile, InvalidSignal, SignalTooShort
from clarity.ecg.formats._common import (
    DEFAULT_LIMITS,
    TEXT_DECIMALS,
    Limits,
    as_utc,
    build_waveform,
    check_bytes,
    check_size,
    lead_from_label,
    parsing,
    unit_scale_to_mv,
)
from clarity.ecg.waveform import Float32Array, Waveform

_TIME_SCALES_S = {"time": 1.0, "t": 1.0, "time_s": 1.0, "seconds": 1.0, "time_ms": 1e-3, "ms": 1e-3}
_IGNORED = {"sample", "index", "sample_idx"}
_FS_KEYS = {"fs_hz", "fs", "sampling_rate"}
_UNIT_SUFFIX = re.compile(r"^(.*?)\s*[\[(]\s*([^\])]+?)\s*[\])]$")
_META_LINE = re.compile(r"^#+\s*([A-Za-z_]+)\s*[=:]\s*(.+)$")
_MAX_GRID_DEVIATION = 0.4  # sampling periods


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # "lead", "time" or "ignored"
    scale: float  # to mV for leads, to seconds for time


def read_csv(
    source: Path | bytes, *, fs: float | None = None, limits: Limits = DEFAULT_LIMITS
) -> Waveform:
    """Read an ECG CSV in the dialect of the module notes.

    Parameters
    ----------
    source : Path | bytes
        The file, by path or as bytes.
    fs : float, optional
        Sampling rate in Hz, needed when the file has neither ``# fs_hz=`` nor a time column;
        ``InvalidSignal`` if the file states another rate.
    limits : Limits
        Size limits.

    Returns
    -------
    Waveform
        Leads in mV, limb leads derived when only I and II are given.

    Raises
    ------
    CorruptFile
        Not UTF-8, no header row, ragged rows or non-numeric cells (the row is named).
    InvalidSignal
        Unknown sampling rate, rates that disagree, unevenly spaced time column.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    check_bytes(len(data), limits)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorruptFile(f"the CSV is not UTF-8 text (byte {exc.start})") from exc
    meta, header, body = _split(text)
    delimiter = max([",", ";", "\t"], key=header.count)
    columns = [_column(name) for name in next(csv.reader([header], delimiter=delimiter))]
    check_size(sum(c.kind == "lead" for c in columns), 0, limits)
    table = _parse_body(body, delimiter, len(columns))
    leads = [(c, table[:, i]) for i, c in enumerate(columns) if c.kind == "lead"]
    if not leads:
        raise CorruptFile("the CSV header names no lead column")
    check_size(len(leads), table.shape[0], limits)
    rate = _sampling_rate(fs, meta, columns, table)
    channels = [(c.name, (values * c.scale).astype(np.float32)) for c, values in leads]
    return build_waveform(channels, rate, _meta_start(meta))


def _split(text: str) -> tuple[dict[str, str], str, str]:
    """Metadata from leading ``#`` lines, the header row, and the rest."""
    meta: dict[str, str] = {}
    lines = text.splitlines()
    for idx, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            match = _META_LINE.match(stripped)
            if match:
                meta[match.group(1).lower()] = match.group(2).strip()
            continue
        return meta, stripped, "\n".join(lines[idx + 1 :])
    raise CorruptFile("the CSV is empty: it needs a header row of lead names and data rows")


def _column(raw_name: str) -> _Column:
    name = raw_name.strip().strip('"').strip()
    if _is_number(name):
        raise CorruptFile("the first CSV row must name the columns (time_s, I, II, ...)")
    unit_match = _UNIT_SUFFIX.match(name)
    base, unit = (unit_match.group(1), unit_match.group(2)) if unit_match else (name, "")
    key = base.lower().replace(" ", "_")
    if key in _TIME_SCALES_S and not unit:
        return _Column(base, "time", _TIME_SCALES_S[key])
    if key in {"time", "t"} and unit in {"s", "ms"}:
        return _Column(base, "time", 1.0 if unit == "s" else 1e-3)
    if key in _IGNORED:
        return _Column(base, "ignored", 1.0)
    scale = unit_scale_to_mv(unit) if unit else 1.0
    if scale is None:
        raise CorruptFile(f"column {name!r}: unit {unit!r} is not a voltage (use mV, uV or V)")
    return _Column(lead_from_label(base), "lead", scale)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_body(body: str, delimiter: str, n_columns: int) -> npt.NDArray[np.float64]:
    if not body.strip():
        raise SignalTooShort("the CSV has a header but no data rows")
    with parsing("CSV"):
        table = np.loadtxt(
            io.StringIO(body), delimiter=delimiter, dtype=np.float64, ndmin=2, comments="#",
            quotechar='"',
        )  # fmt: skip
    if table.shape[1] != n_columns:
        raise CorruptFile(f"the header has {n_columns} columns but the rows have {table.shape[1]}")
    return table


def _sampling_rate(
    fs: float | None, meta: dict[str, str], columns: list[_Column], table: npt.NDArray[np.float64]
) -> float:
    stated = [float(meta[k]) for k in _FS_KEYS if k in meta and _is_number(meta[k])]
    times = [(c, table[:, i]) for i, c in enumerate(columns) if c.kind == "time"]
    if times and not stated:
        column, values = times[0]
        stated.append(_rate_from_times(values * column.scale))
    if fs is None:
        if not stated:
            raise InvalidSignal("the CSV gives no sampling rate: pass fs or add a time_s column")
        return stated[0]
    if stated and not np.isclose(stated[0], fs, rtol=1e-3):
        raise InvalidSignal(f"the CSV says {stated[0]:g} Hz but fs={fs:g} Hz was given")
    return fs


def _rate_from_times(times_s: npt.NDArray[np.float64]) -> float:
    """Sampling rate of an evenly spaced time column, snapped to a whole Hz when within 0.1 %."""
    if times_s.size < 2:
        raise SignalTooShort("one row is too few to infer a sampling rate from the time column")
    period_s = (times_s[-1] - times_s[0]) / (times_s.size - 1)
    if not period_s > 0:
        raise InvalidSignal("the time column must increase")
    grid = times_s[0] + period_s * np.arange(times_s.size)
    deviation = float(np.max(np.abs(times_s - grid))) / period_s
    if deviation > _MAX_GRID_DEVIATION or np.any(np.diff(times_s) <= 0):
        raise InvalidSignal(
            "the time column is not evenly spaced (gaps or jitter): resample, or pass fs and "
            "drop the time column"
        )
    rate = 1.0 / period_s
    whole = round(rate)
    return float(whole) if abs(rate - whole) <= 1e-3 * rate else float(f"{rate:.6g}")


def _meta_start(meta: dict[str, str]) -> datetime | None:
    if not meta.get("start"):
        return None
    try:
        return as_utc(datetime.fromisoformat(meta["start"]))
    except ValueError:
        raise CorruptFile(f"start={meta['start']!r} is not an ISO 8601 date-time") from None


def write_csv(
    waveform: Waveform, *, time_column: bool = True, decimals: int = TEXT_DECIMALS
) -> bytes:
    """Write CSV in the dialect of the module notes.

    Parameters
    ----------
    waveform : Waveform
        The recording.
    time_column : bool
        Write a leading ``time_s`` column (seconds from the start, 6 decimals).
    decimals : int
        Decimals of mV (4: 0.1 µV resolution).

    Returns
    -------
    bytes
        UTF-8 CSV; reading it back gives the samples within ``0.5 * 10**-decimals`` mV.
    """
    lines = [f"# fs_hz={waveform.fs:.12g}"]
    if waveform.start is not None:
        lines.append(f"# start={as_utc(waveform.start).isoformat()}")
    names = (["time_s"] if time_column else []) + [_quote(n) for n in waveform.leads]
    lines.append(",".join(names))
    columns: list[Float32Array | npt.NDArray[np.float64]] = list(waveform.samples)
    formats = [f"%.{decimals}f"] * waveform.n_leads
    if time_column:
        columns.insert(0, np.arange(waveform.n_samples) / waveform.fs)
        formats.insert(0, "%.6f")
    buffer = io.StringIO()
    buffer.write("\n".join(lines) + "\n")
    np.savetxt(buffer, np.column_stack(columns), fmt=formats, delimiter=",")
    return buffer.getvalue().encode("utf-8")


def _quote(name: str) -> str:
    return f'"{name}"' if any(ch in name for ch in ',;"\t') else name
