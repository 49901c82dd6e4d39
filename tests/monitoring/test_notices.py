"""Live notices: the drawable preview of a chunk and the JSON text of live messages."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest

from clarity.monitoring import notices


def test_slow_small_chunks_are_previewed_as_they_are() -> None:
    samples = np.linspace(-1, 1, 3 * 200).reshape(3, 200)
    values, factor = notices.preview(samples, 250.0)
    assert factor == 1 and np.array_equal(values, samples)


def test_fast_chunks_keep_their_spikes_at_the_reduced_rate() -> None:
    samples = np.full((2, 1003), 0.05)
    samples[0, 501], samples[1, 6] = 1.7, -0.9  # one sample wide, at odd offsets
    values, factor = notices.preview(samples, 1000.0)
    assert factor == 4 and values.shape == (2, math.ceil(1003 / 4))
    assert values[0].max() == 1.7 and values[0].argmax() == 501 // 4
    assert values[1].min() == -0.9 and values[1].argmin() == 6 // 4
    assert np.all(np.delete(values[0], 501 // 4) == 0.05)


def test_long_chunks_are_bounded() -> None:
    samples = np.zeros((12, 60 * 250))
    values, factor = notices.preview(samples, 250.0)
    assert values.size <= notices.PREVIEW_MAX_VALUES and factor == 2


def test_live_messages_are_strict_json() -> None:
    text = notices.dumps(
        {
            "at": datetime(2025, 1, 8, 12, 34, 56, tzinfo=UTC),
            "qt_ms": math.nan,
            "values": np.array([1.5, np.inf]),
            "n": np.int64(3),
        }
    )
    assert json.loads(text) == {
        "at": "2025-01-08T12:34:56Z",
        "qt_ms": None,
        "values": [1.5, None],
        "n": 3,
    }
    assert "NaN" not in text and "Infinity" not in text
    with pytest.raises(TypeError, match="cannot carry set"):
        notices.dumps({"what": {1, 2}})
