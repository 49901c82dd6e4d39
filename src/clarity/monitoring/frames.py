"""The compact binary waveform frame (devices at high rates send it; chunks are stored in it).

Layout, little-endian::

    offset size  field
    0      4     magic  b"CLRW"
    4      1     version (1)
    5      1     dtype: 1 int16, 2 float32, 3 int32, 4 float64
    6      1     n_leads (1-16)
    7      1     reserved (0)
    8      4     fs, float32, Hz
    12     4     gain, float32: stored value = mV * gain (1.0 for float dtypes)
    16     4     n_samples per lead, uint32
    20     8     start_idx, int64: index of the first sample in the recording, -1 if unknown
    28     8     timestamp, int64: Unix time of the first sample in ms, 0 if unknown
    36     8*n   lead names, ASCII, NUL-padded to 8 bytes each
    ...          samples, lead-major: lead 0's n_samples values, then lead 1's ...

A JSON upload is stored in the same frame: as integers at a decimal gain when every value is a
decimal with few enough digits (so that ``count / gain`` gives back the very float that was sent),
otherwise as float64. Either way what is read back is exactly what was sent.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clarity.errors import Unprocessable

MAGIC = b"CLRW"
VERSION = 1
HEADER = struct.Struct("<4sBBBBffIqq")
LEAD_NAME_BYTES = 8
MAX_LEADS = 16
DTYPES: dict[int, np.dtype[np.generic]] = {
    1: np.dtype("<i2"),
    2: np.dtype("<f4"),
    3: np.dtype("<i4"),
    4: np.dtype("<f8"),
}
DTYPE_CODES = {dtype: code for code, dtype in DTYPES.items()}
ENCODING_NAMES = {1: "int16", 2: "float32", 3: "int32", 4: "float64"}
_INTEGER_CODES = frozenset({1, 3})
MEDIA_TYPE = "application/vnd.clarity.waveform"
MAX_START_IDX = 2**40  # 70 years at 500 Hz


class MalformedFrame(Unprocessable):
    """A binary body that is not a valid frame (truncated, wrong magic, impossible header)."""


@dataclass(frozen=True)
class Frame:
    """Decoded samples in their sent form: ``values`` (n_leads, n_samples) as sent, with ``gain``."""

    fs: float
    leads: tuple[str, ...]
    values: npt.NDArray[np.generic]
    gain: float
    start_idx: int | None
    timestamp_ms: int | None

    @property
    def n_samples(self) -> int:
        return int(self.values.shape[1])

    @property
    def encoding(self) -> str:
        return ENCODING_NAMES[DTYPE_CODES[self.values.dtype.newbyteorder("<")]]

    def millivolts(self) -> npt.NDArray[np.float64]:
        """Samples in mV as float64 (exactly the floats a JSON client sent)."""
        if self.values.dtype.kind == "f":
            return self.values.astype(np.float64)
        return self.values.astype(np.float64) / self.gain


def encode(frame: Frame) -> bytes:
    """The wire bytes of ``frame``."""
    dtype = frame.values.dtype.newbyteorder("<")
    names = b"".join(_lead_name_bytes(name) for name in frame.leads)
    header = HEADER.pack(
        MAGIC,
        VERSION,
        DTYPE_CODES[dtype],
        len(frame.leads),
        0,
        frame.fs,
        frame.gain,
        frame.n_samples,
        -1 if frame.start_idx is None else frame.start_idx,
        frame.timestamp_ms or 0,
    )
    return header + names + np.ascontiguousarray(frame.values, dtype=dtype).tobytes()


def decode(data: bytes) -> Frame:
    """Parse wire bytes; ``MalformedFrame`` (422) says what is wrong."""
    if len(data) < HEADER.size:
        raise MalformedFrame(
            f"binary waveform truncated: {len(data)} bytes, header is {HEADER.size}"
        )
    magic, version, code, n_leads, _, fs, gain, n_samples, start, ts_ms = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise MalformedFrame("not a Clarity waveform frame (expected magic CLRW, version 1)")
    if code not in DTYPES or not 1 <= n_leads <= MAX_LEADS:
        raise MalformedFrame(f"bad frame header: dtype code {code}, {n_leads} leads")
    if not (np.isfinite(gain) and gain > 0):
        raise MalformedFrame(f"bad frame gain {gain}")
    if start > MAX_START_IDX:
        raise MalformedFrame(f"start index {start} is beyond {MAX_START_IDX}")
    dtype = DTYPES[code]
    names_end = HEADER.size + n_leads * LEAD_NAME_BYTES
    expected = names_end + n_leads * n_samples * dtype.itemsize
    if len(data) != expected:
        raise MalformedFrame(
            f"binary waveform is {len(data)} bytes; its header promises {expected}"
        )
    leads = tuple(
        _lead_name(data[HEADER.size + i * 8 : HEADER.size + (i + 1) * 8]) for i in range(n_leads)
    )
    values = np.frombuffer(data, dtype=dtype, offset=names_end).reshape(n_leads, n_samples)
    return Frame(
        float(fs), leads, values, float(gain), None if start < 0 else int(start), int(ts_ms) or None
    )


def _lead_name_bytes(name: str) -> bytes:
    raw = name.encode("ascii")
    if not raw or len(raw) > LEAD_NAME_BYTES:
        raise Unprocessable(f"lead name {name!r} must be 1-{LEAD_NAME_BYTES} ASCII characters")
    return raw.ljust(LEAD_NAME_BYTES, b"\0")


def _lead_name(raw: bytes) -> str:
    try:
        name = raw.rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        raise MalformedFrame("lead names must be ASCII") from None
    if not name:
        raise MalformedFrame("empty lead name in frame")
    return name


def exact_storage(millivolts: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.generic], float]:
    """The most compact exact representation of float samples: (values, gain).

    Integers at gain 10^k (k = 0..6) when ``count / 10**k`` reproduces every float exactly and the
    counts fit int16 (else int32); float32 when the floats are float32 values; otherwise float64.
    """
    for k in range(7):
        gain = 10.0**k
        counts = np.rint(millivolts * gain)
        if np.abs(counts).max(initial=0) >= 2**31 - 1:
            break
        if np.array_equal(counts / gain, millivolts):
            small = np.abs(counts).max(initial=0) < 2**15 - 1
            return counts.astype(np.int16 if small else np.int32), gain
    as_f32 = millivolts.astype(np.float32)
    if np.array_equal(as_f32.astype(np.float64), millivolts):
        return as_f32, 1.0
    return millivolts.astype(np.float64), 1.0


def pack_blob(frame: Frame) -> bytes:
    """A frame compressed for the blob store."""
    return compress(encode(frame))


def compress(encoded: bytes) -> bytes:
    """Wire bytes of a frame compressed for the blob store (``unpack_blob`` reads them).

    Integer samples are entropy-coded only (zlib's Huffman-only strategy): ECG counts repeat
    short byte patterns rarely enough that LZ77 matching costs about twice the CPU for about 5 %
    fewer bytes (12 leads x 2500 int16 counts: 0.7 ms and 1.33 bytes per sample, against 1.5 ms
    and 1.26 at level 1). Float samples keep level 1. Either way the blob is a zlib stream.
    """
    integers = len(encoded) > HEADER.size and encoded[5] in _INTEGER_CODES
    strategy = zlib.Z_HUFFMAN_ONLY if integers else zlib.Z_DEFAULT_STRATEGY
    packer = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS, 9, strategy)
    return packer.compress(encoded) + packer.flush()


def unpack_blob(blob: bytes) -> Frame:
    return decode(zlib.decompress(blob))
