"""Property-based fuzzing of every operation in the OpenAPI schema (schemathesis): whatever a
client sends, the answer is never a 5xx. Each operation is called as an admin (who reaches every
operation) and as a device user (whose session the device endpoints act on)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from clarity.config import Settings
from clarity.main import create_app
from clarity.runtime import Runtime
from tests.factories.accounts import register, staff

pytestmark = pytest.mark.slow
# signing out or revoking keys would end the credentials the rest of the run uses
SKIPPED = {"POST /api/v1/auth/logout", "DELETE /api/v1/api-keys/{key_id}"}
_SPEC = create_app(Settings(_env_file=None, blob_store="memory")).openapi()
OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, methods in _SPEC["paths"].items()
    for method in methods
    if f"{method.upper()} {path}" not in SKIPPED
)


@pytest.fixture
def credentials(client: TestClient, runtime: Runtime) -> list[dict[str, str]]:
    device = register(client)
    client.post("/api/v1/sessions/start", json={"session_id": "fuzz"}, headers=device.headers)
    return [staff(runtime, "admin").headers, device.headers]


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_operation_answers_a_server_error(
    app: FastAPI, credentials: list[dict[str, str]], label: str
) -> None:
    method, path = label.split(" ", 1)
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        for headers in credentials:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

    check()
