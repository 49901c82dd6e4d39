"""FHIR export of a real session made through the API, validated with ``fhir.resources`` (R4B).

``fhir.resources`` 8 ships R5 (its default), R4B and STU3 models, no plain R4. R4B is R4 plus a few
new resources; every resource and datatype this export uses (Bundle, Patient, Device,
Observation, SampledData, DiagnosticReport, DocumentReference) is the same in R4 and R4B, while R5
changed SampledData and Device. So R4B is the closest available check of R4.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clarity.db.models import AuditEvent
from clarity.runtime import Runtime
from tests.factories.accounts import register, staff
from tests.factories.devices import T0, iso, later
from tests.interop.session import (
    LOINC,
    MDC,
    MDC_LEADS,
    SNOMED,
    UCUM,
    Made,
    by_loinc,
    export,
    make_session,
    resources,
    waveform_observation,
)

r4b = pytest.importorskip("fhir.resources.R4B", reason="fhir.resources with R4B models")


@pytest.fixture
def made(client: TestClient, runtime: Runtime) -> Made:
    return make_session(client, runtime)


@pytest.fixture
def bundle(client: TestClient, made: Made) -> dict[str, Any]:
    return export(client, made)


def test_whole_bundle_and_each_resource_validate_as_fhir(bundle: dict[str, Any]) -> None:
    from fhir.resources.R4B.bundle import Bundle

    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection" and len(parsed.entry or []) == len(bundle["entry"])
    for entry in bundle["entry"]:
        model = r4b.get_fhir_model_class(entry["resource"]["resourceType"])
        model.model_validate(entry["resource"])
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "DiagnosticReport"
    assert {"Patient", "Device", "Observation"} <= set(kinds)


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def test_every_reference_is_a_urn_uuid_inside_the_bundle(bundle: dict[str, Any]) -> None:
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    assert all(url.startswith("urn:uuid:") for url in full_urls)
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    references = list(_references(bundle))
    assert references and set(references) <= set(full_urls)


def test_patient_and_recorder(bundle: dict[str, Any], made: Made) -> None:
    (patient,) = resources(bundle, "Patient")
    assert patient["name"] == [{"text": "Ada Lovelace"}]
    assert patient["gender"] == "female" and patient["birthDate"] == "1980-02-29"
    assert patient["identifier"][0]["value"] == made.device.patient_id
    recorder = next(d for d in resources(bundle, "Device") if d.get("serialNumber"))
    assert recorder["serialNumber"] == "ECG-00042"
    assert recorder["modelNumber"] == "M12" and recorder["manufacturer"] == "Acme"
    versions = {v["type"]["text"]: v["value"] for v in recorder["version"]}
    assert versions == {"os": "linux 6.1", "app_version": "1.2.3"}


EXPECTED = {  # LOINC code: (UCUM unit, median of the device's values)
    "8867-4": ("/min", 76.0),
    "8625-6": ("ms", 161.0),
    "8633-0": ("ms", 85.0),
    "8634-8": ("ms", 378.0),
    "8636-3": ("ms", 401.0),
    "8637-1": ("ms", 790.0),
    "8632-2": ("deg", 46.0),
}


def _source(observation: dict[str, Any]) -> str:
    code: str = observation["method"]["coding"][0]["code"]
    return code


@pytest.mark.parametrize(("loinc", "expected"), EXPECTED.items())
def test_device_metrics_have_loinc_codes_and_ucum_units(
    bundle: dict[str, Any], loinc: str, expected: tuple[str, float]
) -> None:
    unit, value = expected
    (observation,) = [o for o in by_loinc(bundle, loinc) if _source(o) == "device"]
    assert (
        observation["valueQuantity"] | {"system": UCUM, "code": unit}
        == observation["valueQuantity"]
    )
    assert observation["valueQuantity"]["value"] == pytest.approx(value)
    assert set(observation["effectivePeriod"]) == {"start", "end"}
    wanted = "vital-signs" if loinc == "8867-4" else "procedure"
    assert observation["category"][0]["coding"][0]["code"] == wanted


def test_device_and_server_values_are_told_apart(bundle: dict[str, Any]) -> None:
    rates = {_source(o): o for o in by_loinc(bundle, "8867-4")}
    assert set(rates) == {"device", "server"}
    assert rates["server"]["valueQuantity"]["value"] == 74.5
    assert "effectiveDateTime" in rates["server"]
    devices = {d["id"]: d for d in resources(bundle, "Device")}
    recorder = devices[rates["device"]["device"]["reference"].removeprefix("urn:uuid:")]
    clarity = devices[rates["server"]["device"]["reference"].removeprefix("urn:uuid:")]
    assert recorder["serialNumber"] == "ECG-00042"
    assert clarity["deviceName"][0]["name"] == "Clarity ECG analysis"
    assert [_source(o) for o in by_loinc(bundle, "8626-4")] == ["server"]  # P axis: server only
    assert rates["server"]["derivedFrom"] == [{"reference": waveform_fullurl(bundle)}]


def waveform_fullurl(bundle: dict[str, Any]) -> str:
    return f"urn:uuid:{waveform_observation(bundle)['id']}"


def test_metrics_without_a_known_meaning_are_not_guessed(bundle: dict[str, Any]) -> None:
    texts = [o["code"]["text"] for o in resources(bundle, "Observation")]
    assert not any("sampling" in t.lower() for t in texts)
    (hrv,) = [
        o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["code"] == "hrv"
    ]
    assert hrv["code"]["coding"][0]["system"] != LOINC  # the device does not say which HRV


def decode(component: dict[str, Any]) -> npt.NDArray[np.float64]:
    data = component["valueSampledData"]
    assert data["origin"] == {"value": 0, "unit": "mV", "system": UCUM, "code": "mV"}
    assert data["dimensions"] == 1
    values = np.array([float(v) for v in data["data"].split(" ")])
    origin, factor = float(data["origin"]["value"]), float(data["factor"])
    decoded: npt.NDArray[np.float64] = origin + factor * values
    return decoded


def test_sampled_data_decodes_to_the_uploaded_samples(bundle: dict[str, Any], made: Made) -> None:
    observation = waveform_observation(bundle)
    components = observation["component"]
    assert [c["code"]["coding"][0]["code"] for c in components] == list(MDC_LEADS.values())
    assert [c["code"]["coding"][0]["system"] for c in components] == [MDC] * 12
    assert components[2]["code"]["coding"][0]["display"] == "MDC_ECG_ELEC_POTL_III"
    for i, component in enumerate(components):
        data = component["valueSampledData"]
        assert data["period"] == 2.0  # ms at 500 Hz
        np.testing.assert_allclose(decode(component), made.samples[i], rtol=0, atol=data["factor"])
    assert observation["effectivePeriod"] == {"start": iso(T0), "end": iso(later(5))}


def test_arrhythmia_event_is_a_coded_rhythm_observation(bundle: dict[str, Any]) -> None:
    (event,) = [e for e in by_loinc(bundle, "8884-9") if _source(e) == "device"]
    assert event["valueCodeableConcept"]["coding"] == [
        {"system": SNOMED, "code": "427172004", "display": "Premature ventricular contraction"}
    ]
    assert event["valueCodeableConcept"]["text"] == "Premature Ventricular Contraction"
    assert event["effectiveDateTime"] == iso(later(2))
    (rate,) = event["component"]
    assert rate["code"]["coding"][0]["code"] == "8867-4"
    assert rate["valueQuantity"]["value"] == 78 and rate["valueQuantity"]["code"] == "/min"
    assert "severity: mild" in event["note"][0]["text"] and _source(event) == "device"


def test_diagnostic_report_lists_every_observation(bundle: dict[str, Any], made: Made) -> None:
    (report,) = resources(bundle, "DiagnosticReport")
    assert report["code"]["coding"][0] == {
        "system": LOINC,
        "code": "11524-6",
        "display": "EKG study",
    }
    assert report["status"] == "final"
    assert report["conclusion"] == "Sinus rhythm. Normal ECG."  # the server's, before the device's
    observations = {f"urn:uuid:{o['id']}" for o in resources(bundle, "Observation")}
    assert {r["reference"] for r in report["result"]} == observations
    (pdf,) = report["presentedForm"]
    assert pdf["contentType"] == "application/pdf" and pdf["url"].endswith("/file")
    assert report["identifier"][0]["value"] == made.recording_id


def test_export_is_audited(client: TestClient, runtime: Runtime, made: Made) -> None:
    export(client, made)
    with runtime.session_factory() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.action == "recording.export")).all()
    assert [(e.resource_id, e.actor_id) for e in events] == [
        (made.recording_id, made.device.user_id)
    ]
    assert events[0].detail == {
        "format": "fhir",
        "patient_id": made.device.patient_id,
        "waveform": "inline",
    }


def test_export_is_stable_across_calls(client: TestClient, made: Made) -> None:
    first, second = export(client, made), export(client, made)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert first["id"] != second["id"]  # each bundle is its own instance


def test_other_users_and_unknown_sessions_get_404(
    client: TestClient, runtime: Runtime, made: Made
) -> None:
    stranger = register(client)
    clinician = staff(runtime, "clinician")
    for account in (stranger, clinician):
        for ref in (made.session_id, made.recording_id):
            response = client.get(f"/api/v1/sessions/{ref}/fhir", headers=account.headers)
            assert response.status_code == 404, response.text
            assert response.json()["detail"] == "session not found"
    missing = client.get("/api/v1/sessions/rec_nope/fhir", headers=made.device.headers)
    assert missing.status_code == 404
    assert client.get(f"/api/v1/sessions/{made.session_id}/fhir").status_code == 401


def test_admin_reads_by_server_id(client: TestClient, runtime: Runtime, made: Made) -> None:
    admin = staff(runtime, "admin")
    response = client.get(f"/api/v1/sessions/{made.recording_id}/fhir", headers=admin.headers)
    assert response.status_code == 200
    assert len(resources(response.json(), "Patient")) == 1


def test_server_finding_is_an_episode_with_its_refined_kind(bundle: dict[str, Any]) -> None:
    (finding,) = [e for e in by_loinc(bundle, "8884-9") if _source(e) == "server"]
    assert finding["valueCodeableConcept"]["coding"][0]["code"] == "25569003"  # VT, not a "run"
    assert finding["effectivePeriod"] == {"start": iso(later(3)), "end": iso(later(4))}
    assert finding["component"][0]["valueQuantity"]["value"] == 150.0
    assert "severity: critical" in finding["note"][0]["text"]
