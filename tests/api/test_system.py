"""Service endpoints: index, health (503 when a dependency is down), Prometheus metrics, OpenAPI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clarity.errors import ServiceUnavailable
from clarity.runtime import Runtime


def test_index_names_the_service_and_links(client: TestClient) -> None:
    body = client.get("/").json()
    assert body["name"] == "Clarity" and body["version"]
    assert body["links"]["docs"].endswith("/docs")


def test_health_reports_each_dependency(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["blob_store"] == body["checks"]["blob_store"] | {
        "status": "ok",
        "kind": "memory",
    }
    assert "models" in body


def test_health_is_503_when_the_blob_store_is_down(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise ServiceUnavailable("bucket unreachable")

    monkeypatch.setattr(runtime.blob_store, "check", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["down"] == ["blob_store"]
    assert "bucket unreachable" in response.json()["checks"]["blob_store"]["error"]


def test_health_is_503_when_the_database_is_down(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise OSError("db down")

    runtime.engine.dispose()
    monkeypatch.setattr(runtime.engine.pool, "_creator", refuse)
    response = client.get("/health")
    assert response.status_code == 503
    assert "database" in response.json()["down"]


def test_metrics_count_requests_per_route_template(client: TestClient) -> None:
    client.get("/api/v1/patients/pat_1")
    client.get("/api/v1/patients/pat_2")
    text = client.get("/metrics").text
    assert (
        'clarity_http_requests_total{method="GET",route="/api/v1/patients/{patient_id}",status="401"} 2.0'
        in text
    )
    assert "clarity_http_request_duration_seconds_bucket" in text


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/auth/login" in spec["paths"] and "/api/v1/patients" in spec["paths"]
