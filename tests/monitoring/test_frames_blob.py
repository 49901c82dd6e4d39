"""Blobs of stored chunks: zlib streams that give back the exact frame, however compressed."""

from __future__ import annotations

import zlib

import numpy as np

from clarity.monitoring import frames

LEADS = ("I", "II", "V1")


def test_integer_and_float_frames_round_trip_through_the_blob() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(-2000, 2000, size=(3, 2500), dtype=np.int16)
    floats = rng.normal(0.0, 1.0, size=(3, 2500))
    for values, gain in ((counts, 1000.0), (counts.astype(np.int32) * 20, 100.0), (floats, 1.0)):
        frame = frames.Frame(500.0, LEADS, values, gain, 0, 1_700_000_000_000)
        blob = frames.pack_blob(frame)
        back = frames.unpack_blob(blob)
        assert back.values.dtype == values.dtype and np.array_equal(back.values, values)
        assert zlib.decompress(blob) == frames.encode(frame)  # a plain zlib stream


def test_integer_frames_compress() -> None:
    t = np.arange(2500) / 500.0
    counts = np.round(800 * np.sin(2 * np.pi * 1.2 * t) * np.ones((3, 1))).astype(np.int16)
    frame = frames.Frame(500.0, LEADS, counts, 1000.0, 0, None)
    assert len(frames.pack_blob(frame)) < 0.8 * len(frames.encode(frame))
