from __future__ import annotations

import asyncio

from core.bus import EventBus


def test_every_subscriber_gets_every_event_in_order():
    async def scenario():
        bus = EventBus()
        a, b = bus.subscribe(), bus.subscribe()
        for i in range(3):
            bus.publish({"n": i})
        return [await a.get() for _ in range(3)], [await b.get() for _ in range(3)]

    got_a, got_b = asyncio.run(scenario())
    assert got_a == got_b == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_a_subscriber_that_falls_behind_is_dropped_not_waited_for():
    async def scenario():
        bus = EventBus(queue_size=2)
        slow, fast = bus.subscribe(), bus.subscribe()
        got = []
        for i in range(5):
            bus.publish({"n": i})
            got.append(await fast.get())
        drained = []
        while (event := await slow.get()) is not None:
            drained.append(event)
        return got, drained, slow.lagging, bus.subscribers

    got, drained, lagging, subscribers = asyncio.run(scenario())
    assert [e["n"] for e in got] == [0, 1, 2, 3, 4]
    assert lagging and subscribers == 1
    assert len(drained) <= 2
