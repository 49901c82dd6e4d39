"""A short per-process memory of verified credentials, so that a device uploading every few
seconds is not checked against the database (JWT signature, sign-in session, user) every time.

* An entry lives at most ``ttl_s`` (``CLARITY_AUTH_CACHE_SECONDS``, at most 5 s) and never past
  the credential's own expiry. Entries are keyed by a SHA-256 of the kind and the credential
  (raw credentials are not kept), and hold the ``Principal`` verified for exactly that credential:
  one user's entry can never answer for another credential.
* The cache is bounded (``max_entries``; the oldest entries go first).
* Within the process a change that ends or narrows access takes effect at once: every commit
  that revokes or deletes a sign-in session or an API key, or changes a user's ``is_active`` or
  ``role``, or a key's role or expiry, drops that user's entries (``watch`` hooks the ORM's
  flush and commit events). A generation counter keeps a verification that read the database
  before such a commit from storing its stale answer after it.
* Other processes (a second uvicorn worker, ``clarity`` commands) are not told: there a
  revocation takes effect within ``ttl_s``. Changes made with bulk SQL (``UPDATE`` statements,
  not ORM objects) are not seen either and also wait for ``ttl_s``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from clarity.auth.principal import Principal, Verified
from clarity.db.models import ApiKey, AuthSession, User
from clarity.kit.time import as_utc, utcnow

MAX_TTL_S = 5.0
_WATCHED: dict[type[Any], tuple[str, ...]] = {
    AuthSession: ("revoked_at", "user_id", "expires_at"),
    ApiKey: ("revoked_at", "role", "expires_at", "user_id"),
    User: ("is_active", "role"),
}
_CHANGED_USERS = "auth_cache_changed_users"


class PrincipalCache:
    """Verified principals by credential for up to ``ttl_s`` seconds (0 switches it off)."""

    def __init__(self, ttl_s: float = MAX_TTL_S, max_entries: int = 10_000) -> None:
        self.ttl_s = min(max(ttl_s, 0.0), MAX_TTL_S)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[bytes, tuple[Principal, float]] = {}
        self._generation = 0

    @staticmethod
    def key(kind: str, credential: str) -> bytes:
        return hashlib.sha256(f"{kind}\0{credential}".encode()).digest()

    def get(self, key: bytes) -> Principal | None:
        """The principal verified for this credential, if verified less than ``ttl_s`` ago."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            with self._lock:
                self._entries.pop(key, None)
            return None
        return entry[0]

    def resolve(self, kind: str, credential: str, verify: Callable[[], Verified]) -> Principal:
        """The cached principal, or ``verify()``'s (whose errors propagate), remembered."""
        key = self.key(kind, credential)
        cached = self.get(key)
        if cached is not None:
            return cached
        generation = self._generation
        verified = verify()
        self._put(key, verified, generation)
        return verified.principal

    def _put(self, key: bytes, verified: Verified, generation: int) -> None:
        if self.ttl_s <= 0:
            return
        lifetime = self.ttl_s
        if verified.expires_at is not None:
            lifetime = min(lifetime, (as_utc(verified.expires_at) - utcnow()).total_seconds())
        if lifetime <= 0:
            return
        with self._lock:
            if generation != self._generation:  # access changed while this was verified
                return
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (verified.principal, time.monotonic() + lifetime)

    def invalidate_users(self, user_ids: set[str]) -> None:
        """Forget every credential of these users (their access changed)."""
        with self._lock:
            self._generation += 1
            for key in [k for k, (p, _) in self._entries.items() if p.user_id in user_ids]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def watch(self, factory: sessionmaker[Session]) -> None:
        """Invalidate on commits of sessions from ``factory`` that change access (see above)."""
        event.listen(factory, "after_flush", _collect_changes)
        event.listen(factory, "after_commit", self._after_commit)
        event.listen(factory, "after_rollback", _forget_changes)

    def _after_commit(self, session: Session) -> None:
        changed: set[str] | None = session.info.pop(_CHANGED_USERS, None)
        if changed:
            self.invalidate_users(changed)


def _collect_changes(session: Session, _context: Any) -> None:
    changed: set[str] = session.info.setdefault(_CHANGED_USERS, set())
    for obj in session.deleted:
        if isinstance(obj, User):
            changed.add(obj.id)
        elif isinstance(obj, AuthSession | ApiKey):
            changed.add(obj.user_id)
    for obj in session.dirty:
        fields = _WATCHED.get(type(obj))
        if fields is None:
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in fields):
            changed.add(obj.id if isinstance(obj, User) else obj.user_id)
            if isinstance(obj, AuthSession | ApiKey):
                changed.update(state.attrs.user_id.history.deleted or ())


def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED_USERS, None)
