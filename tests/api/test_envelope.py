"""Every error leaves in one envelope; bad bodies are 4xx and write nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clarity.db.models import User
from clarity.runtime import Runtime

ENVELOPE = {"detail", "status_code", "timestamp", "request_id"}


def _users(runtime: Runtime) -> int:
    with runtime.session_factory() as db:
        return db.scalar(select(func.count()).select_from(User)) or 0


def test_not_found_route_uses_the_envelope_and_echoes_request_id(client: TestClient) -> None:
    response = client.get("/api/v1/nowhere", headers={"X-Request-ID": "trace-1234567"})
    assert response.status_code == 404
    body = response.json()
    assert set(body) == ENVELOPE
    assert body["request_id"] == response.headers["x-request-id"] == "trace-1234567"
    assert body["timestamp"].endswith("Z")


def test_request_id_is_generated_when_absent_or_unsafe(client: TestClient) -> None:
    for header in ({}, {"X-Request-ID": "bad id\nwith newline"}):
        response = client.get("/", headers=header)
        assert len(response.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("content", "status"),
    [(b'{"full_name": "x", ', 400), (b"[1, 2, 3]", 422), (b"null", 422), (b"\xff\xfe", 400)],
)
def test_malformed_bodies_are_4xx_and_write_nothing(
    client: TestClient, runtime: Runtime, content: bytes, status: int
) -> None:
    response = client.post(
        "/api/v1/auth/register", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == ENVELOPE
    assert _users(runtime) == 0


def test_validation_errors_name_the_field(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register", json={"full_name": "X", "password": "short", "age": "old"}
    )
    detail = response.json()["detail"]
    assert response.status_code == 422
    assert "password" in detail and "age" in detail


def test_oversized_body_is_413_by_declared_length(client: TestClient, runtime: Runtime) -> None:
    limit = runtime.settings.max_body_bytes
    response = client.post(
        "/api/v1/auth/register",
        content=b" " * (limit + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert set(response.json()) == ENVELOPE
    assert _users(runtime) == 0


def test_oversized_streamed_body_is_413(client: TestClient, runtime: Runtime) -> None:
    limit = runtime.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:  # a generator body is sent without Content-Length
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    response = client.post(
        "/api/v1/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert _users(runtime) == 0


def test_unexpected_errors_are_a_500_envelope_with_request_id(runtime: Runtime) -> None:
    from clarity.main import create_app

    app: FastAPI = create_app(runtime=runtime)
    boom = APIRouter()

    @boom.get("/boom")
    def explode() -> None:
        raise RuntimeError("secret internals")

    app.include_router(boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == ENVELOPE and "secret internals" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
