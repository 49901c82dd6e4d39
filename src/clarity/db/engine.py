"""Engines and sessions: one engine per process, one session (unit of work) per request or job."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from clarity.errors import ClarityError, Unprocessable

SessionFactory = sessionmaker[Session]
log = logging.getLogger(__name__)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout, PostgreSQL psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "before_cursor_execute", _refuse_nul_text)
    return engine


# a JSON-escaped NUL: ``\u0000`` preceded by an even run of backslashes (so not itself escaped)
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _has_nul(value: object) -> bool:
    """Whether ``value`` (a statement parameter: text, JSON text, or a driver's JSON wrapper such
    as psycopg's ``Json`` around the Python object) holds a NUL character anywhere."""
    if isinstance(value, str):
        return "\x00" in value or ("\\u0000" in value and _ESCAPED_NUL.search(value) is not None)
    if isinstance(value, Mapping):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    wrapped = getattr(value, "obj", None)  # psycopg.types.json.Json / Jsonb
    return (
        wrapped is not None and type(value).__module__.startswith("psycopg") and _has_nul(wrapped)
    )


def _refuse_nul_text(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """Refuse text holding NUL characters on every database alike: PostgreSQL cannot store them
    (in text or JSON) and SQLite would, so the rule is enforced once, here, for every statement
    (``parameters``: one row or many, as mappings or sequences)."""
    if _has_nul(parameters):
        raise Unprocessable("text may not contain NUL (\\u0000) characters")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the unit of work of ``session`` has committed (never on rollback).

    For work that must only start when the data it reads is visible to others: enqueued jobs,
    live notifications.
    """
    session.info.setdefault("after_commit", []).append(callback)


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop("after_commit", []):
        try:
            callback()
        except Exception:  # a failed notification must not turn a stored upload into an error
            log.exception("after-commit callback failed")


@contextmanager
def unit_of_work(factory: SessionFactory) -> Iterator[Session]:
    """A session that commits once at the end, or rolls back on any error (except ``keep_changes``)."""
    session = factory()
    try:
        yield session
        session.commit()
        _run_after_commit(session)
    except ClarityError as exc:
        if exc.keep_changes:
            session.commit()
            _run_after_commit(session)
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop("after_commit", None)
        session.close()


def ping(engine: Engine) -> None:
    """Raise if the database does not answer ``SELECT 1``."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
