"""The pure FHIR builder on hand-made session facts: edge cases the API path rarely reaches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from clarity.interop import fhir

r4b = pytest.importorskip("fhir.resources.R4B", reason="fhir.resources with R4B models")

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _record(**changes: Any) -> fhir.SessionRecord:
    base = fhir.SessionRecord(
        recording_id="rec_test",
        session_id="s-1",
        status="ended",
        started_at=T0,
        ended_at=T0 + timedelta(minutes=1),
        patient=fhir.PatientFacts("pat_1", "Grace Hopper", "female", date(1906, 12, 9)),
        device=fhir.DeviceFacts("SN-1", {"app_version": "2.0", "sampling_rate": 250}),
        software_version="9.9.9",
    )
    return replace(base, **changes)


def _build(record: fhir.SessionRecord) -> dict[str, Any]:
    bundle = fhir.build_bundle(record, generated_at=T0 + timedelta(hours=1))
    r4b.get_fhir_model_class("Bundle").model_validate(bundle)
    return bundle


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_float_samples_travel_exactly_and_gaps_as_e() -> None:
    values = np.array([[0.1, -0.25, np.nan, 1e-5], [0.0, 1.0 / 3.0, 2.5, -0.0]])
    waveform = fhir.InlineWaveform(250.0, ("II", "ECG2"), values, 1.0, T0)
    (observation,) = _of(_build(_record(waveform=waveform)), "Observation")
    first, second = (c["valueSampledData"] for c in observation["component"])
    assert first["factor"] == 1.0 and first["period"] == 4.0
    assert first["data"].split(" ")[2] == "E"
    assert [float(v) for v in second["data"].split(" ")] == values[1].tolist()  # bit-exact
    unknown = observation["component"][1]["code"]
    assert unknown == {"text": "ECG channel ECG2"}  # no invented code for an unknown channel


def test_integer_counts_carry_their_gain_as_factor() -> None:
    counts = np.array([[-3, 0, 7]], dtype=np.int16)
    data = fhir.sampled_data(counts[0], 360.0, 200.0)
    assert data["data"] == "-3 0 7" and data["factor"] == 0.005
    assert data["period"] == pytest.approx(1000 / 360)


def test_active_session_is_preliminary_with_an_open_period() -> None:
    point = fhir.MetricPoint("device", T0, {"hr": 60})
    bundle = _build(_record(status="active", ended_at=None, metrics=(point,)))
    (report,) = _of(bundle, "DiagnosticReport")
    assert report["status"] == "partial" and report["effectivePeriod"] == {
        "start": "2025-03-01T08:00:00Z"
    }
    (rate,) = _of(bundle, "Observation")
    assert rate["status"] == "preliminary" and rate["effectiveDateTime"] == "2025-03-01T08:00:00Z"


def test_without_a_patient_nothing_claims_a_subject() -> None:
    point = fhir.MetricPoint("device", T0, {"heart_rate": 60, "heart_rate_bpm": 99})
    bundle = _build(_record(patient=None, metrics=(point,)))
    assert not _of(bundle, "Patient")
    assert all("subject" not in e["resource"] for e in bundle["entry"])
    (rate,) = _of(bundle, "Observation")
    assert "meta" not in rate  # the vital-signs profile needs a subject
    assert rate["valueQuantity"]["value"] == 60  # an alias of the same metric counts once


def test_heart_rate_claims_the_vital_signs_profile_with_a_patient() -> None:
    bundle = _build(_record(metrics=(fhir.MetricPoint("device", T0, {"heart_rate": 61}),)))
    (rate,) = _of(bundle, "Observation")
    assert rate["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/heartrate"]


def test_server_summary_measurements_when_no_server_metric_streamed() -> None:
    summary = {
        "measurements": {"qtc_ms": 431.0, "t_axis_deg": 40},
        "statements": ["Sinus rhythm", {"text": "Normal ECG"}],
    }
    bundle = _build(_record(server_summary=summary))
    codes = {o["code"]["coding"][0]["code"]: o for o in _of(bundle, "Observation")}
    assert set(codes) == {"8636-3", "8638-9"}
    assert codes["8636-3"]["effectivePeriod"]["end"] == "2025-03-01T08:01:00Z"
    assert "derivedFrom" not in codes["8636-3"]  # no waveform in this session
    assert _of(bundle, "DiagnosticReport")[0]["conclusion"] == "Sinus rhythm; Normal ECG"
    streamed = fhir.MetricPoint("server", T0, {"heart_rate_bpm": 70})
    again = _build(_record(server_summary=summary, metrics=(streamed,)))
    assert [o["code"]["coding"][0]["code"] for o in _of(again, "Observation")] == ["8867-4"]


def test_conclusion_falls_back_to_the_newest_report_then_the_device() -> None:
    def report(i: int, text: str | None) -> fhir.ReportFile:
        created = T0 + timedelta(minutes=i)
        return fhir.ReportFile(
            f"r{i}", f"https://x/r{i}", "a.pdf", "application/pdf", created, conclusion=text
        )

    device = {"conclusion": "Device says normal"}
    assert fhir.conclusion_of(_record(device_summary=device)) == "Device says normal"
    reports = (report(2, "newest"), report(1, "older"), report(3, None))
    assert fhir.conclusion_of(_record(device_summary=device, reports=reports)) == "newest"
    assert fhir.conclusion_of(_record()) is None


def test_unknown_arrhythmia_keeps_its_text_without_a_code() -> None:
    event = fhir.ArrhythmiaEvent("event_9", "server", T0, "Wenckebach", heart_rate_bpm=None)
    bundle = _build(_record(events=(event,)))
    (observation,) = _of(bundle, "Observation")
    assert observation["valueCodeableConcept"] == {"text": "Wenckebach"}
    assert "component" not in observation
    assert observation["method"]["coding"][0]["code"] == "server"
    assert len(_of(bundle, "Device")) == 2  # the recorder and Clarity's software


def test_resource_names_depend_only_on_the_recording() -> None:
    first, second = _build(_record()), _build(_record())
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    other = _build(_record(recording_id="rec_other"))
    assert not {e["fullUrl"] for e in first["entry"]} & {e["fullUrl"] for e in other["entry"]}


def test_an_episode_has_a_period_and_an_ongoing_one_an_instant() -> None:
    ended = fhir.ArrhythmiaEvent("e1", "server", T0, "VT", end=T0 + timedelta(seconds=9))
    ongoing = fhir.ArrhythmiaEvent("e2", "server", T0, "atrial_fibrillation")
    first, second = _of(_build(_record(events=(ended, ongoing))), "Observation")
    assert first["effectivePeriod"]["end"] == "2025-03-01T08:00:09Z"
    assert first["valueCodeableConcept"]["coding"][0]["code"] == "25569003"
    assert second["effectiveDateTime"] == "2025-03-01T08:00:00Z"
    assert second["valueCodeableConcept"]["coding"][0]["code"] == "164889003"
