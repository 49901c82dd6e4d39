"""The ``clarity`` command: database, admin accounts, API keys, and the README's serve promise."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from clarity.cli import app
from clarity.config import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("CLARITY_DATABASE_URL", database_url)
    monkeypatch.setenv("CLARITY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_admin_and_api_key_lifecycle(cli_env: None) -> None:
    created = runner.invoke(
        app,
        ["users", "create-admin", "--email", "root@example.org"],
        input="a-long-password\na-long-password\n",
    )
    assert created.exit_code == 0, created.output
    assert "admin created" in created.output
    again = runner.invoke(
        app, ["users", "create-admin", "--email", "root@example.org", "--password", "x" * 10]
    )
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    key = runner.invoke(app, ["api-keys", "create", "--user", "root@example.org", "--name", "ci"])
    assert key.exit_code == 0, key.output
    key_id, secret = re.search(r"(key_\w+).*\n(clk_\S+)", key.output).groups()  # type: ignore[union-attr]
    listed = runner.invoke(app, ["api-keys", "list"])
    assert key_id in listed.output and "active" in listed.output and secret not in listed.output
    revoked = runner.invoke(app, ["api-keys", "revoke", key_id])
    assert revoked.exit_code == 0
    assert (
        "revoked" in runner.invoke(app, ["api-keys", "list", "--user", "root@example.org"]).output
    )


def test_weak_admin_password_is_refused(cli_env: None) -> None:
    result = runner.invoke(
        app, ["users", "create-admin", "--email", "a@example.org", "--password", "short"]
    )
    assert result.exit_code != 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_clarity_serve_starts_with_demo_data_on_a_fresh_folder(tmp_path: Path) -> None:
    """The README's first command: no configuration, SQLite and local files under ./var."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "clarity.cli", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/health", server, log)
        assert health["status"] == "ok" and health["checks"]["blob_store"]["kind"] == "local"
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"identifier": "clinician@demo.clarity", "password": "clarity-demo"},
        )
        assert login.status_code == 200
        patients = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/patients",
            headers={"Authorization": f"Bearer {login.json()['token']}"},
        )
        assert patients.json()["total"] == 3
        device_user = next(p["user_id"] for p in patients.json()["items"] if p["user_id"])
        sessions = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/users/{device_user}/sessions",
            headers={"Authorization": f"Bearer {login.json()['token']}"},
        ).json()["sessions"]
        assert sessions[0]["status"] == "ended" and sessions[0]["duration_seconds"] == 60.0
        assert (tmp_path / "var" / "clarity.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for(
    url: str, server: subprocess.Popen[bytes], log: Path, timeout_s: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()}")
        try:
            return dict(httpx.get(url, timeout=2).json())
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("server did not answer in time")
