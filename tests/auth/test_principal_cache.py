"""The per-process cache of verified credentials: fast, but never wrong within the process."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, update

from clarity.auth.cache import MAX_TTL_S, PrincipalCache
from clarity.auth.principal import Principal, Verified
from clarity.db.models import AuthSession, User
from clarity.kit.time import utcnow
from clarity.runtime import Runtime
from tests.factories.accounts import register


def _principal(user_id: str = "usr_1", credential_id: str = "ses_1") -> Principal:
    return Principal(user_id, "patient", "token", credential_id)


def _returning(verified: Verified) -> Callable[[], Verified]:
    return lambda: verified


def test_a_verified_credential_is_answered_from_memory(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    assert client.get("/api/v1/users/me", headers=device.headers).status_code == 200
    assert len(runtime.principals) == 1
    other = register(client)
    me = client.get("/api/v1/users/me", headers=other.headers).json()
    assert me["user_id"] == other.user_id  # each credential answers for its own user only
    assert client.get("/api/v1/users/me", headers=device.headers).json()["user_id"] == (
        device.user_id
    )
    assert len(runtime.principals) == 2


def test_deactivating_a_cached_user_takes_effect_at_once(
    client: TestClient, runtime: Runtime
) -> None:
    device = register(client)
    assert client.get("/api/v1/users/me", headers=device.headers).status_code == 200
    with runtime.session_factory.begin() as db:
        user = db.get(User, device.user_id)
        assert user is not None
        user.is_active = False
    assert client.get("/api/v1/users/me", headers=device.headers).status_code == 401


def test_logout_of_a_cached_token_takes_effect_at_once(client: TestClient) -> None:
    device = register(client)
    assert client.get("/api/v1/users/me", headers=device.headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=device.headers).status_code == 204
    assert client.get("/api/v1/users/me", headers=device.headers).status_code == 401


def test_another_process_revoking_waits_at_most_the_cache_lifetime(
    client: TestClient, runtime: Runtime
) -> None:
    runtime.principals = PrincipalCache(ttl_s=0.3)
    runtime.principals.watch(runtime.session_factory)
    device = register(client)
    assert client.get("/api/v1/users/me", headers=device.headers).status_code == 200
    other_process = create_engine(runtime.engine.url)
    with other_process.begin() as conn:  # not through this process's sessions: not seen
        conn.execute(update(AuthSession).values(revoked_at=utcnow()))
    other_process.dispose()
    assert client.get("/api/v1/users/me", headers=device.headers).status_code == 200
    time.sleep(0.35)
    assert client.get("/api/v1/users/me", headers=device.headers).status_code == 401


def test_entries_never_outlive_their_credential_or_the_limit() -> None:
    cache = PrincipalCache(ttl_s=60.0)
    assert cache.ttl_s == MAX_TTL_S
    expired = Verified(_principal(), utcnow() - timedelta(seconds=1))
    assert cache.resolve("token", "a", lambda: expired) == expired.principal
    assert len(cache) == 0  # verified, but not remembered: it has expired already
    soon = Verified(_principal(), utcnow() + timedelta(milliseconds=100))
    cache.resolve("token", "b", lambda: soon)
    assert cache.get(cache.key("token", "b")) is not None
    time.sleep(0.15)
    assert cache.get(cache.key("token", "b")) is None


def test_the_cache_is_bounded_and_keyed_by_kind_and_credential() -> None:
    cache = PrincipalCache(max_entries=3)
    for n in range(5):
        cache.resolve("token", f"t{n}", _returning(Verified(_principal(f"usr_{n}"), None)))
    assert len(cache) == 3
    assert cache.get(cache.key("token", "t0")) is None
    assert cache.get(cache.key("token", "t4")) == _principal("usr_4")
    assert cache.get(cache.key("api_key", "t4")) is None


def test_a_verification_racing_an_invalidation_is_not_remembered() -> None:
    cache = PrincipalCache()

    def verify_while_access_changes() -> Verified:
        cache.invalidate_users({"usr_1"})  # a revocation commits while the database is read
        return Verified(_principal(), None)

    cache.resolve("token", "t", verify_while_access_changes)
    assert len(cache) == 0
    cache.resolve("token", "t", lambda: Verified(_principal(), None))
    cache.invalidate_users({"usr_2"})
    assert len(cache) == 1
    cache.invalidate_users({"usr_1"})
    assert len(cache) == 0
