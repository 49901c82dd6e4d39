"""Live fan-out of recording messages (acknowledgements, findings, alerts) to stream subscribers.

``publish`` may be called from any thread (request handlers, job workers); subscribers are
asyncio consumers (WebSocket connections). In one process ``InProcessHub`` is enough; with several
API processes a Redis-backed hub carries messages between them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

Message = dict[str, Any]
QUEUE_SIZE = 256


class LiveHub(Protocol):
    """Publish messages about a recording; subscribe to them."""

    def publish(self, recording_id: str, message: Message) -> None:
        """Send ``message`` to every current subscriber of ``recording_id`` (never blocks)."""
        ...

    def subscribe(self, recording_id: str) -> AbstractAsyncContextManager[asyncio.Queue[Message]]:
        """An async context manager yielding a queue that receives the recording's messages."""
        ...

    def has_subscribers(self, recording_id: str) -> bool:
        """Whether a message about ``recording_id`` published now could reach anyone (so that
        a costly message, a chunk's preview, is only built for someone). May say True wrongly,
        never False while someone who subscribed before the call still listens."""
        ...

    def close(self) -> None: ...


class InProcessHub:
    """Fan-out inside one process. A slow subscriber loses its oldest messages, never blocks others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[
            str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Message]]]
        ] = {}

    def publish(self, recording_id: str, message: Message) -> None:
        with self._lock:
            targets = list(self._subscribers.get(recording_id, ()))
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_offer, queue, message)
            except RuntimeError:  # the subscriber's loop has closed; it will unsubscribe itself
                continue

    def has_subscribers(self, recording_id: str) -> bool:
        return recording_id in self._subscribers  # one dict look-up: atomic under the GIL

    @asynccontextmanager
    async def subscribe(self, recording_id: str) -> AsyncIterator[asyncio.Queue[Message]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[Message](maxsize=QUEUE_SIZE))
        with self._lock:
            self._subscribers.setdefault(recording_id, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                subscribers = self._subscribers.get(recording_id, set())
                subscribers.discard(entry)
                if not subscribers:
                    self._subscribers.pop(recording_id, None)

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()


def _offer(queue: asyncio.Queue[Message], message: Message) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(message)
