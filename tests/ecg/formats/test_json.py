"""JSON: the device lead dict (nested and flat), the full form, and bad documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from clarity.ecg.errors import CorruptFile, InvalidSignal, SignalTooLong
from clarity.ecg.formats import Limits, read_json, write_json, write_json_leads
from clarity.ecg.waveform import Waveform
from tests.ecg.formats.synth import assert_same_recording, synthetic_ecg

TEXT_TOL_MV = 0.00005 + 1e-7


def _doc(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_device_upload_body_as_the_monitor_client_sends_it() -> None:
    body = {
        "timestamp": "2025-01-08T12:34:56.789Z",
        "sampling_rate": 80,
        "leads": {"I": [0.123, 0.145, 0.167], "II": [0.234, 0.256, 0.278],
                  "V1": [0.089, 0.111, 0.133]},
    }  # fmt: skip
    got = read_json(_doc(body))
    assert got.fs == 80
    assert got.leads == ("I", "II", "III", "aVR", "aVL", "aVF", "V1")
    assert got.start is None  # the batch's send time is not its first sample's time
    np.testing.assert_allclose(got.lead("III"), [0.111, 0.111, 0.111], atol=1e-6)


def test_flat_lead_dict_with_start_and_units() -> None:
    body = {"fs": 250, "units": "uV", "start": "2025-01-08T13:34:56+01:00",
            "avr": [100, -200], "ii": [300, 400], "note": "ignored"}  # fmt: skip
    got = read_json(_doc(body))
    assert got.leads == ("II", "aVR")
    assert got.start == datetime(2025, 1, 8, 12, 34, 56, tzinfo=UTC)
    np.testing.assert_allclose(got.samples, [[0.3, 0.4], [0.1, -0.2]], atol=1e-7)


def test_full_form_round_trip(ecg12: Waveform) -> None:
    data = write_json(ecg12)
    doc = json.loads(data)
    assert doc["format"] == "clarity.waveform"
    assert doc["leads"][:3] == ["I", "II", "III"]
    assert len(doc["samples"]) == 12
    assert doc["start"] == "2024-05-01T10:00:00.123456+00:00"
    assert_same_recording(read_json(data), ecg12, tol_mv=TEXT_TOL_MV)


def test_lead_dict_round_trip(ecg12: Waveform) -> None:
    data = write_json_leads(ecg12)
    doc = json.loads(data)
    assert doc["sampling_rate"] == 500
    assert isinstance(doc["sampling_rate"], int)
    assert list(doc["leads"]) == list(ecg12.leads)
    assert_same_recording(read_json(data), ecg12, tol_mv=TEXT_TOL_MV)


def test_values_are_rounded_to_a_tenth_of_a_microvolt() -> None:
    wave = Waveform(np.array([[0.123456789, -1.0]], np.float32), 250, ("II",))
    assert json.loads(write_json_leads(wave))["leads"]["II"] == [0.1235, -1.0]


def test_rate_from_argument_or_conflict() -> None:
    body = _doc({"leads": {"II": [0.1, 0.2]}})
    with pytest.raises(InvalidSignal, match="sampling_rate"):
        read_json(body)
    assert read_json(body, fs=125).fs == 125
    with pytest.raises(InvalidSignal, match="80 Hz"):
        read_json(_doc({"sampling_rate": 80, "leads": {"II": [0.1]}}), fs=125)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"{not json", CorruptFile, "not valid JSON"),
        (b"[1, 2, 3]", CorruptFile, "must be an object"),
        (_doc({"sampling_rate": 80}), InvalidSignal, "no leads"),
        (_doc({"sampling_rate": 80, "leads": {"II": [0.1, "x"]}}), InvalidSignal, "numbers"),
        (_doc({"sampling_rate": 80, "leads": {"II": [0.1, None]}}), InvalidSignal, "1 missing"),
        (_doc({"sampling_rate": 80, "leads": {"II": [[0.1], [0.2]]}}), InvalidSignal, "flat"),
        (
            _doc({"sampling_rate": 80, "leads": {"II": [0.1], "V1": [0.1, 0.2]}}),
            InvalidSignal,
            "different lengths",
        ),
        (_doc({"sampling_rate": "fast", "leads": {"II": [0.1]}}), InvalidSignal, "number of Hz"),
        (
            _doc({"sampling_rate": 80, "units": "mmHg", "leads": {"II": [1]}}),
            InvalidSignal,
            "not a voltage",
        ),
        (
            _doc({"sampling_rate": 80, "start": "soon", "leads": {"II": [1]}}),
            InvalidSignal,
            "ISO 8601",
        ),
        (b'{"sampling_rate": 80, "leads": {"II": [NaN]}}', InvalidSignal, "non-finite"),
        (_doc({"fs": 80, "leads": ["II"], "samples": [[1], [2]]}), CorruptFile, "one name per row"),
        (_doc({"sampling_rate": 10, "leads": {"II": [1]}}), InvalidSignal, "sampling rate"),
    ],
)
def test_bad_documents_say_why(data: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        read_json(data)


def test_limits() -> None:
    data = write_json(synthetic_ecg(duration_s=1))
    with pytest.raises(SignalTooLong, match="channels"):
        read_json(data, limits=Limits(max_leads=4))
    with pytest.raises(SignalTooLong, match="samples"):
        read_json(data, limits=Limits(max_samples=1000))
    with pytest.raises(SignalTooLong, match="MiB"):
        read_json(data, limits=Limits(max_bytes=1000))
