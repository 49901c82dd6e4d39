"""API test fixtures: a migrated database per test (SQLite file, or PostgreSQL when
``CLARITY_TEST_DATABASE_URL`` is set), a memory blob store, and a ``TestClient``.

On PostgreSQL each test session works in a schema of its own (so parallel runs don't meet) and
every test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clarity.auth import passwords
from clarity.config import Settings
from clarity.db.base import Base
from clarity.db.migrate import upgrade
from clarity.main import create_app
from clarity.runtime import Runtime, build_runtime
from clarity.storage import MemoryBlobStore

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-signing"


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id with minimal cost: same code path, milliseconds instead of a second per hash."""
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", fast)
        yield


def _postgres_url_with_schema(url: str, schema: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database at the newest migration: a template SQLite file, or a fresh PostgreSQL schema."""
    postgres = os.environ.get("CLARITY_TEST_DATABASE_URL")
    if not postgres:
        template = tmp_path_factory.mktemp("db") / "template.db"
        upgrade(f"sqlite:///{template}")
        yield f"sqlite:///{template}"
        return
    schema = f"clarity_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_postgres_url_with_schema(postgres, "public"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_url_with_schema(postgres, schema)
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """A migrated, empty database for one test."""
    if migrated_database.startswith("sqlite"):
        target = tmp_path / "clarity.db"
        shutil.copyfile(make_url(migrated_database).database or "", target)
        return f"sqlite:///{target}"
    engine = create_engine(migrated_database)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return migrated_database


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        secret_key=SecretStr(TEST_SECRET),
        database_url=database_url,
        data_dir=tmp_path,
        blob_store="memory",
        login_rate_limit="1000/60",
        demo_data=False,
        _env_file=None,
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings, blob_store=MemoryBlobStore())
    yield rt
    rt.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
