"""Settings: every ``CLARITY_*`` environment variable (or ``.env`` entry) in one validated object.

Only settings choose between the embedded mode (SQLite, local blobs, in-process jobs) and the
scaled-out one (PostgreSQL, S3, Celery/Redis); nothing else in the code base knows which runs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "change-me-clarity-development-secret-key"  # noqa: S105 - the placeholder production refuses


class Settings(BaseSettings):
    """Runtime configuration, read from ``CLARITY_*`` variables and ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="CLARITY_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    environment: Literal["development", "production", "test"] = Field(
        "development", description="`production` switches on JSON logs and refuses unsafe defaults."
    )
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET_KEY), description="Signs access tokens and download links."
    )
    data_dir: Path = Field(Path("var"), description="Where the embedded mode keeps its files.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means a SQLite file `<data_dir>/clarity.db`."
    )
    blob_store: Literal["local", "s3", "memory"] = Field("local", description="Where blobs go.")
    blob_dir: Path | None = Field(
        None, description="Local blob folder; default `<data_dir>/blobs`."
    )
    s3_bucket: str = Field("clarity", description="S3 bucket for blobs.")
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (MinIO, moto…).")
    s3_region: str = Field("us-east-1", description="S3 region.")
    s3_access_key_id: str | None = Field(None, description="S3 access key (else boto3's chain).")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret key.")
    redis_url: str | None = Field(
        None, description="Redis for rate limits, live fan-out and (with Celery) jobs."
    )
    job_backend: Literal["inline", "celery"] = Field(
        "inline", description="`inline` runs jobs in a thread pool inside the server."
    )
    celery_broker_url: str | None = Field(None, description="Celery broker; default redis_url.")
    job_workers: int = Field(2, ge=1, le=64, description="Threads of the inline job pool.")
    job_queue: str = Field(
        "clarity", min_length=1, max_length=100, description="Celery queue the jobs go to."
    )
    access_token_minutes: int = Field(30, ge=1, le=24 * 60, description="Access token lifetime.")
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=5,
        description="How long a process trusts a verified credential without the database "
        "(revocations from other processes take effect within it); 0 switches the cache off.",
    )
    refresh_token_days: int = Field(30, ge=1, le=365, description="Refresh token lifetime.")
    download_link_seconds: int = Field(
        900, ge=10, le=7 * 24 * 3600, description="Signed link life."
    )
    max_body_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    login_rate_limit: str = Field(
        "10/60",
        description="Login/registration attempts allowed per client and identifier: N/seconds.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed browser origins.")
    models_dir: Path = Field(Path("models"), description="Model packages `<name>/<version>/`.")
    fhir_inline_max_samples: int = Field(
        10_000, ge=0, description="FHIR export: longer recordings are linked, not inlined."
    )
    log_level: str = Field("INFO", description="Log level.")
    log_json: bool | None = Field(None, description="JSON log lines; default on in production.")
    demo_data: bool = Field(True, description="`clarity serve` seeds a demo clinician and patient.")

    @field_validator("login_rate_limit")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        count, sep, seconds = value.partition("/")
        if not (
            sep and count.isdigit() and seconds.isdigit() and int(count) > 0 and int(seconds) > 0
        ):
            raise ValueError("expected N/SECONDS, for example 10/60")
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("CLARITY_SECRET_KEY must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
                raise ValueError(
                    "CLARITY_SECRET_KEY must be set to a random string of at least 32 characters "
                    "in production (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'clarity.db'}"

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment == "production"

    @property
    def login_limit(self) -> tuple[int, int]:
        count, _, seconds = self.login_rate_limit.partition("/")
        return int(count), int(seconds)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
