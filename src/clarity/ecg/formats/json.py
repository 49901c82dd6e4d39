"""JSON: the device protocol's lead dict, and Clarity's own full form.

Lead dict (what ECG devices and apps send), values in mV::

    {"sampling_rate": 500, "leads": {"I": [0.12, ...], "II": [...], ...}}
    {"sampling_rate": 500, "I": [0.12, ...], "II": [...]}          # flat: every list is a lead

``fs`` is accepted for ``sampling_rate``; an optional ``units`` (``mV``, ``uV``, ``V``) scales all
leads; an optional ``start`` (ISO 8601, UTC when no offset) is the time of the first sample. The
device's ``timestamp`` is when a batch was sent, not when its first sample was taken, so it is not
read as the start.

Full form (lossless apart from the decimals)::

    {"format": "clarity.waveform", "version": 1, "fs": 500.0, "units": "mV",
     "leads": ["I", "II", ...], "samples": [[...], [...]], "start": "2025-01-08T12:34:56+00:00"}

Writers round to ``decimals`` decimals of mV (0.1 µV by default).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from clarity.ecg.errors import CorruptFile, InvalidSignal
from clarity.ecg.formats._common import (
    DEFAULT_LIMITS,
    TEXT_DECIMALS,
    Limits,
    as_utc,
    build_waveform,
    check_bytes,
    check_size,
    unit_scale_to_mv,
)
from clarity.ecg.waveform import Float32Array, Waveform

FULL_FORM = "clarity.waveform"


def read_json(
    source: Path | bytes, *, fs: float | None = None, limits: Limits = DEFAULT_LIMITS
) -> Waveform:
    """Read a JSON lead dict or full form (told apart by a ``samples`` list).

    Parameters
    ----------
    source : Path | bytes
        The document, by path or as bytes (UTF-8, -16 or -32).
    fs : float, optional
        Sampling rate in Hz when the document has none; ``InvalidSignal`` if it states another.
    limits : Limits
        Size limits.

    Returns
    -------
    Waveform
        Leads in mV, limb leads derived when only I and II are given.

    Raises
    ------
    CorruptFile
        Not JSON, not an object, or a full form with mismatched ``leads`` and ``samples``.
    InvalidSignal
        No leads, non-numeric samples, leads of different lengths, unknown sampling rate.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    check_bytes(len(data), limits)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptFile(f"the file is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CorruptFile('the JSON must be an object such as {"sampling_rate": 500, "leads": {}}')
    if isinstance(doc.get("samples"), list):
        return _read_full(doc, fs, limits)
    return _read_lead_dict(doc, fs, limits)


def _read_full(doc: dict[str, Any], fs: float | None, limits: Limits) -> Waveform:
    names, rows = doc.get("leads"), doc["samples"]
    if not isinstance(names, list) or len(names) != len(rows):
        raise CorruptFile('"leads" must list one name per row of "samples"')
    check_size(len(rows), max((len(r) for r in rows if isinstance(r, list)), default=0), limits)
    return _build(dict(zip(map(str, names), rows, strict=True)), doc, "fs", fs)


def _read_lead_dict(doc: dict[str, Any], fs: float | None, limits: Limits) -> Waveform:
    nested = doc.get("leads")
    leads = (
        nested
        if isinstance(nested, dict)
        else {k: v for k, v in doc.items() if isinstance(v, list)}
    )
    if not leads:
        raise InvalidSignal(
            'no leads in the JSON: send {"sampling_rate": 500, "leads": {"I": [...]}}'
        )
    lengths = [len(v) if isinstance(v, list) else 0 for v in leads.values()]
    check_size(len(leads), max(lengths), limits)
    return _build({str(k): v for k, v in leads.items()}, doc, "sampling_rate", fs)


def _build(leads: dict[str, Any], doc: dict[str, Any], rate_key: str, fs: float | None) -> Waveform:
    scale = unit_scale_to_mv(str(doc.get("units") or "mV"))
    if scale is None:
        raise InvalidSignal(f"units {doc.get('units')!r} is not a voltage (use mV, uV or V)")
    channels = [(name, _samples(name, values, scale)) for name, values in leads.items()]
    return build_waveform(channels, _rate(doc, rate_key, fs), _start(doc.get("start")))


def _samples(name: str, values: Any, scale: float) -> Float32Array:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidSignal(f"lead {name}: samples must be numbers (mV)") from None
    if array.ndim != 1:
        raise InvalidSignal(f"lead {name}: samples must be a flat list of numbers")
    return (array * scale).astype(np.float32)


def _rate(doc: dict[str, Any], rate_key: str, fs: float | None) -> float:
    stated = doc.get(rate_key, doc.get("fs" if rate_key != "fs" else "sampling_rate"))
    if stated is not None and (isinstance(stated, bool) or not isinstance(stated, int | float)):
        raise InvalidSignal(f"{rate_key} must be a number of Hz, got {stated!r}")
    if stated is None:
        if fs is None:
            raise InvalidSignal(f"the JSON gives no sampling rate: add {rate_key!r} or pass fs")
        return fs
    if fs is not None and not np.isclose(float(stated), fs):
        raise InvalidSignal(f"the JSON says {stated:g} Hz but fs={fs:g} Hz was given")
    return float(stated)


def _start(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise InvalidSignal(f"start {value!r} is not an ISO 8601 date-time") from None


def write_json(waveform: Waveform, *, decimals: int = TEXT_DECIMALS) -> bytes:
    """Write the full form (see the module notes).

    Parameters
    ----------
    waveform : Waveform
        The recording.
    decimals : int
        Decimals of mV kept (4: 0.1 µV).

    Returns
    -------
    bytes
        UTF-8 JSON.
    """
    doc = {
        "format": FULL_FORM,
        "version": 1,
        "fs": waveform.fs,
        "units": "mV",
        "leads": list(waveform.leads),
        "samples": _rounded(waveform.samples, decimals),
        "start": _iso(waveform.start),
    }
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def write_json_leads(waveform: Waveform, *, decimals: int = TEXT_DECIMALS) -> bytes:
    """Write the device lead dict ``{"sampling_rate", "leads": {name: [mV, ...]}}``.

    Parameters
    ----------
    waveform : Waveform
        The recording.
    decimals : int
        Decimals of mV kept (4: 0.1 µV).

    Returns
    -------
    bytes
        UTF-8 JSON; ``sampling_rate`` is an integer when the rate is whole, as devices send it,
        and ``start`` is added when known.
    """
    rate: float | int = int(waveform.fs) if waveform.fs.is_integer() else waveform.fs
    rows = _rounded(waveform.samples, decimals)
    doc: dict[str, Any] = {
        "sampling_rate": rate,
        "leads": dict(zip(waveform.leads, rows, strict=True)),
    }
    if waveform.start is not None:
        doc["start"] = _iso(waveform.start)
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def _rounded(samples: Float32Array, decimals: int) -> list[list[float]]:
    rows: list[list[float]] = np.round(samples.astype(np.float64), decimals).tolist()
    return rows


def _iso(start: datetime | None) -> str | None:
    return as_utc(start).isoformat() if start is not None else None
