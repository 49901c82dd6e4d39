"""Alembic migrations (the only way the schema changes). Run with ``clarity db upgrade``."""
