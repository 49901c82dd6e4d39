"""Client-identified uploads: a retry answers the first response and writes nothing new."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clarity.db.models import IdempotencyRecord
from clarity.errors import Conflict, Unprocessable
from clarity.monitoring import repository


def fingerprint(*parts: str | bytes) -> str:
    """A digest of what identifies a request's content (for telling a retry from a misuse)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def previous_answer(
    db: Session, owner_id: str, key: str | None, request_hash: str
) -> dict[str, Any] | None:
    """The stored answer to an earlier request with this key, or None for a new key."""
    if key is None:
        return None
    record = repository.get_idempotency(db, owner_id, key)
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise Unprocessable(
            "Idempotency-Key was already used for a different request; use a new key"
        )
    return dict(record.response)


class InFlight(Conflict):
    """Another attempt with the same key has not finished: retry after a second."""

    def __init__(self) -> None:
        super().__init__(
            "a request with this Idempotency-Key is being processed; retry shortly",
            headers={"Retry-After": "1"},
        )


def replay(db: Session, owner_id: str, key: str, request_hash: str) -> dict[str, Any]:
    """The first answer to a key the owner has used already (422 if it was for other content)."""
    answer = previous_answer(db, owner_id, key, request_hash)
    if answer is None:  # the first request's transaction has not committed, or rolled back
        raise InFlight()
    return answer


def remember(
    db: Session, owner_id: str, key: str | None, request_hash: str, response: dict[str, Any]
) -> None:
    """Keep the answer for later retries (in the same unit of work as the write it answers)."""
    if key is None:
        return
    db.add(
        IdempotencyRecord(
            owner_id=owner_id,
            key=key,
            request_hash=request_hash,
            status_code=200,
            response=response,
        )
    )
    # No savepoint: a clash fails the whole request (the unit of work rolls back on Conflict),
    # and SAVEPOINT + RELEASE were a fifth of an upload's database time.
    try:
        db.flush()
    except IntegrityError:
        raise InFlight() from None
