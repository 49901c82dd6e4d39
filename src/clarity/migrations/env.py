"""Alembic environment: the URL comes from ``-x url=...``, the Alembic config, or Clarity settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import clarity.db.models  # noqa: F401 - registers every table on the metadata
from clarity.config import get_settings
from clarity.db.base import Base
from clarity.db.engine import make_engine

config = context.config


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or get_settings().resolved_database_url
    )


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=True,
    )


def run_migrations_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
