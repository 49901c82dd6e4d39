"""Persistence: the declarative base, engines and sessions, and every ORM table (``db.models``)."""
