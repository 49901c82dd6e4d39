"""The Redis live hub against a real Redis: fan-out between hubs (processes), reconnection after a
killed connection, an outage and a silent connection, and the WebSocket stream across two apps.

Needs Redis at ``CLARITY_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``); skipped without.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from clarity.config import Settings
from clarity.main import create_app
from clarity.monitoring.live import Message
from clarity.monitoring.live_redis import RedisHub
from clarity.runtime import build_runtime
from clarity.storage import MemoryBlobStore
from tests.factories.accounts import register
from tests.factories.devices import binary_frame, start

pytestmark = pytest.mark.timeout(60)
MakeHub = Callable[..., RedisHub]
DEADLINE_S = 10.0


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("CLARITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    finally:
        client.close()
    return url


@pytest.fixture
def make_hub(redis_url: str) -> Iterator[MakeHub]:
    """Hubs on a channel prefix of this test's own, closed afterwards."""
    prefix = f"clarity-test:{uuid.uuid4().hex}:"
    made: list[RedisHub] = []

    def make(url: str | None = None, **options: Any) -> RedisHub:
        hub = RedisHub.from_url(url or redis_url, prefix=prefix, **options)
        made.append(hub)
        return hub

    yield make
    for hub in made:
        hub.close()


async def _take(queue: asyncio.Queue[Message], n: int = 1) -> list[Message]:
    async with asyncio.timeout(DEADLINE_S):
        return [await queue.get() for _ in range(n)]


async def _publish_until_heard(
    hub: RedisHub, queue: asyncio.Queue[Message], recording_id: str
) -> Message:
    """Publish numbered probes until one arrives (pub/sub drops what is sent while disconnected)."""
    async with asyncio.timeout(DEADLINE_S):
        for n in range(10_000):
            hub.publish(recording_id, {"type": "probe", "n": n})
            try:
                async with asyncio.timeout(0.1):
                    return await queue.get()
            except TimeoutError:
                continue
    raise AssertionError("unreachable")


def test_two_hubs_deliver_each_others_messages_exactly_once(make_hub: MakeHub) -> None:
    one, two = make_hub(), make_hub()
    sent_at = datetime(2025, 1, 8, 12, 0, tzinfo=UTC)

    async def scenario() -> tuple[list[Message], list[Message]]:
        async with one.subscribe("rec_a") as on_one, two.subscribe("rec_a") as on_two:
            one.publish("rec_a", {"type": "chunk", "n": 1, "at": sent_at})
            await asyncio.to_thread(two.publish, "rec_a", {"type": "alert", "n": 2, "x": math.nan})
            first = await _take(on_one, 2), await _take(on_two, 2)
            one.publish("rec_a", {"type": "marker"})
            assert [m["type"] for m in await _take(on_one) + await _take(on_two)] == ["marker"] * 2
            return first

    got_one, got_two = asyncio.run(scenario())
    expected = [
        {"type": "chunk", "n": 1, "at": "2025-01-08T12:00:00Z"},
        {"type": "alert", "n": 2, "x": None},
    ]
    for got in (got_one, got_two):
        assert sorted(got, key=lambda m: m["n"]) == expected


def test_subscribers_hear_only_their_recording(make_hub: MakeHub) -> None:
    listener, publisher = make_hub(), make_hub()

    async def scenario() -> tuple[list[Message], list[Message]]:
        async with listener.subscribe("rec_1") as first, listener.subscribe("rec_2") as second:
            publisher.publish("rec_1", {"type": "chunk", "to": 1})
            publisher.publish("rec_2", {"type": "chunk", "to": 2})
            return await _take(first), await _take(second)

    assert asyncio.run(scenario()) == ([{"type": "chunk", "to": 1}], [{"type": "chunk", "to": 2}])


def test_whether_anyone_watches_is_seen_across_hubs(make_hub: MakeHub) -> None:
    watcher_side, device_side = make_hub(), make_hub(watched_ttl_s=0.2)
    assert not device_side.has_subscribers("rec_w")

    async def scenario() -> tuple[bool, bool]:
        async with watcher_side.subscribe("rec_w"):
            here, there = (
                watcher_side.has_subscribers("rec_w"),
                device_side.has_subscribers("rec_w"),
            )
        return here, there

    assert asyncio.run(scenario()) == (True, True)
    time.sleep(0.25)  # the remembered yes expires; Redis has seen the watcher leave
    deadline = time.monotonic() + DEADLINE_S
    while device_side.has_subscribers("rec_w") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not device_side.has_subscribers("rec_w")


def test_a_message_that_is_not_json_is_refused_at_publish(make_hub: MakeHub) -> None:
    with pytest.raises(TypeError, match="cannot carry object"):
        make_hub().publish("rec_1", {"type": "chunk", "what": object()})


def test_listener_recovers_when_its_connection_is_killed(make_hub: MakeHub, redis_url: str) -> None:
    listener, publisher = make_hub(), make_hub()
    admin = redis.Redis.from_url(redis_url)

    async def scenario() -> Message:
        async with listener.subscribe("rec_k") as queue:
            await _publish_until_heard(publisher, queue, "rec_k")
            ours = [
                c
                for c in admin.client_list()
                if c.get("name") == listener.client_name and int(c.get("sub", 0)) > 0
            ]
            assert len(ours) == 1
            admin.client_kill_filter(_id=ours[0]["id"])
            return await _publish_until_heard(publisher, queue, "rec_k")

    try:
        assert asyncio.run(scenario())["type"] == "probe"
    finally:
        admin.close()


class _Proxy:
    """A TCP relay to Redis that a test can cut (all connections dropped, new ones closed at once)
    or freeze (existing connections go silent while staying open, like a dead network path)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        self.down = self.closing = False
        self.accepted = 0
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self.sockets: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while True:
            client, _ = self.server.accept()
            if self.closing:
                client.close()
                return
            if self.down:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            frozen = threading.Event()
            with self.lock:
                self.accepted += 1
                self.pairs.append((client, upstream, frozen))
                self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                pump = threading.Thread(target=self._pump, args=(src, dst, frozen), daemon=True)
                self.threads.append(pump)
                pump.start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, frozen: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if not frozen.is_set():
                    dst.sendall(data)
        _shut(src, dst)

    def freeze(self) -> None:
        with self.lock:
            for _, _, frozen in self.pairs:
                frozen.set()

    def cut(self) -> None:
        self.down = True
        self._drop_connections()

    def _drop_connections(self) -> None:
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, upstream, _ in pairs:
            _shut(client, upstream)

    def close(self) -> None:
        self.closing = True
        socket.create_connection(self.server.getsockname(), timeout=5).close()  # wakes accept()
        self.threads[0].join(timeout=5)
        self.server.close()
        self._drop_connections()
        for thread in self.threads:
            thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def _shut(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(redis_url: str) -> Iterator[_Proxy]:
    parsed = urlsplit(redis_url)
    relay = _Proxy((parsed.hostname or "127.0.0.1", parsed.port or 6379))
    yield relay
    relay.close()


def test_listener_reconnects_after_an_outage(make_hub: MakeHub, proxy: _Proxy) -> None:
    listener = make_hub(proxy.url, backoff_s=(0.05, 0.2))
    publisher = make_hub()

    async def scenario() -> Message:
        async with listener.subscribe("rec_o") as queue:
            await _publish_until_heard(publisher, queue, "rec_o")
            proxy.cut()
            async with asyncio.timeout(DEADLINE_S):
                while listener.connected.is_set():
                    await asyncio.sleep(0.01)
            proxy.down = False
            return await _publish_until_heard(publisher, queue, "rec_o")

    assert asyncio.run(scenario())["type"] == "probe"
    assert listener.connected.is_set()


def test_a_silent_connection_is_detected_and_replaced(make_hub: MakeHub, proxy: _Proxy) -> None:
    listener = make_hub(proxy.url, ping_every_s=0.1, backoff_s=(0.05, 0.2))
    publisher = make_hub()

    async def scenario() -> Message:
        async with listener.subscribe("rec_s") as queue:
            await _publish_until_heard(publisher, queue, "rec_s")
            connections = proxy.accepted
            proxy.freeze()
            heard = await _publish_until_heard(publisher, queue, "rec_s")
            assert proxy.accepted > connections  # heard through a new connection
            return heard

    assert asyncio.run(scenario())["type"] == "probe"


def test_unreachable_redis_blocks_neither_publish_nor_subscribe(
    make_hub: MakeHub, proxy: _Proxy
) -> None:
    proxy.down = True
    hub = make_hub(proxy.url, ready_timeout_s=0.2, backoff_s=(0.05, 0.1), stale_after_s=0.2)

    async def scenario() -> float:
        started = time.monotonic()
        hub.publish("rec_u", {"type": "chunk"})
        async with hub.subscribe("rec_u") as queue:
            assert queue.empty()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < DEADLINE_S
    assert not hub.connected.is_set()


def test_stream_watcher_on_another_api_process_sees_device_chunks(
    settings: Settings, redis_url: str
) -> None:
    shared = settings.model_copy(update={"redis_url": redis_url})
    store = MemoryBlobStore()
    device_side, clinic_side = (build_runtime(shared, blob_store=store) for _ in range(2))
    assert isinstance(clinic_side.live, RedisHub)
    counts = np.arange(-500, 500, dtype=np.int16).reshape(2, 500)
    try:
        with (
            TestClient(create_app(runtime=device_side)) as one,
            TestClient(create_app(runtime=clinic_side)) as two,
        ):
            device = register(one)
            session_id = start(one, device)
            path = f"/api/v1/sessions/{session_id}/stream"
            with two.websocket_connect(f"{path}?mode=watch", headers=device.headers) as watcher:
                assert watcher.receive_json()["type"] == "ready"
                with one.websocket_connect(path, headers=device.headers) as pusher:
                    assert pusher.receive_json()["type"] == "ready"
                    pusher.send_bytes(binary_frame(counts, fs=250.0, leads=("I", "II")))
                    ack = pusher.receive_json()
                notice = watcher.receive_json()
                while notice["type"] in ("finding", "alert"):  # analysis runs concurrently
                    notice = watcher.receive_json()
        assert notice["type"] == "chunk" and notice["waveform_id"] == ack["waveform_id"]
        assert notice["preview"]["leads"]["I"][:2] == [-2.5, -2.495]
    finally:
        device_side.close()
        clinic_side.close()
