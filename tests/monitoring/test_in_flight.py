"""A retry that arrives while the first attempt with its Idempotency-Key is still running gets a
409 with ``Retry-After``, which the client's outbox honours."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clarity.db.engine import unit_of_work
from clarity.monitoring import idempotency
from clarity.runtime import Runtime
from tests.factories.accounts import register


def test_a_key_without_a_committed_answer_is_in_flight(
    client: TestClient, runtime: Runtime
) -> None:
    owner = register(client).user_id
    with unit_of_work(runtime.session_factory) as db, pytest.raises(idempotency.InFlight) as raised:
        idempotency.replay(db, owner, "key-1", "hash")
    assert raised.value.status_code == 409
    assert raised.value.headers == {"Retry-After": "1"}


def test_a_second_writer_of_the_same_key_is_in_flight(client: TestClient, runtime: Runtime) -> None:
    owner = register(client).user_id
    with unit_of_work(runtime.session_factory) as db:
        idempotency.remember(db, owner, "key-2", "hash", {"status": "ok"})
        with pytest.raises(idempotency.InFlight):
            idempotency.remember(db, owner, "key-2", "hash", {"status": "ok"})
        db.rollback()
    with unit_of_work(runtime.session_factory) as db:
        assert idempotency.previous_answer(db, owner, "key-2", "hash") is None
