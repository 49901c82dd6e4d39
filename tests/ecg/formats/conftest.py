"""Fixtures of the format tests."""

from __future__ import annotations

import pytest

from clarity.ecg.waveform import Waveform
from tests.ecg.formats.synth import synthetic_ecg


@pytest.fixture
def ecg12() -> Waveform:
    """Four seconds of 12-lead ECG at 500 Hz with a start time to the microsecond."""
    return synthetic_ecg()
