"""Settings: defaults for the embedded mode, validation, production refuses unsafe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from clarity.config import Settings


def test_embedded_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.resolved_database_url == f"sqlite:///{Path('var') / 'clarity.db'}"
    assert settings.blob_store == "local" and settings.job_backend == "inline"


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="CLARITY_SECRET_KEY"):
        Settings(environment="production", _env_file=None)
    with pytest.raises(ValidationError, match="CLARITY_SECRET_KEY"):
        Settings(environment="production", secret_key=SecretStr("short"), _env_file=None)
    ok = Settings(environment="production", secret_key=SecretStr("x" * 40), _env_file=None)
    assert ok.json_logs


def test_environment_variables_configure_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARITY_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("CLARITY_BLOB_STORE", "s3")
    monkeypatch.setenv("CLARITY_LOGIN_RATE_LIMIT", "5/30")
    settings = Settings(_env_file=None)
    assert settings.resolved_database_url == "postgresql://u@h/db"
    assert settings.blob_store == "s3" and settings.login_limit == (5, 30)


@pytest.mark.parametrize("value", ["abc", "0/60", "5/", "5/0"])
def test_bad_rate_limit_setting_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(login_rate_limit=value, _env_file=None)
