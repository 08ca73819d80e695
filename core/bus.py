"""In-process publish/subscribe for live updates (asyncio).

Publishers (the AMI bridge) never wait for subscribers (WebSocket clients): each
subscriber has a bounded queue, and one that falls behind is marked ``lagging`` and
dropped from the bus, so a slow browser cannot slow the bridge or grow memory. A
subscriber that sees ``lagging`` should reload a snapshot and subscribe again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

Event = dict[str, Any]


class Subscription:
    def __init__(self, bus: EventBus, size: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=size)
        self.lagging = False

    def _offer(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lagging = True
            self._bus._drop(self)
            # Make room for the end marker so the reader wakes up and sees it.
            self._queue.get_nowait()
            self._queue.put_nowait(None)

    async def get(self) -> Event | None:
        """The next event, or None once this subscription has been dropped or closed."""
        return await self._queue.get()

    async def __aiter__(self) -> AsyncIterator[Event]:
        while (event := await self.get()) is not None:
            yield event

    def close(self) -> None:
        self._bus._drop(self)
        try:
            self._queue.put_nowait(None)
        except asyncio.QueueFull:
            pass


class EventBus:
    def __init__(self, *, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subscribers: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, self.queue_size)
        self._subscribers.add(subscription)
        return subscription

    def publish(self, event: Event) -> None:
        """Deliver to every subscriber; call from the event loop's thread."""
        for subscription in list(self._subscribers):
            subscription._offer(event)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def _drop(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)
