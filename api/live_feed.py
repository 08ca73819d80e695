"""The live feed: bridge events in, per-viewer frames out to every WebSocket client.

Events come from the bridges' ``EventBus`` (``core.bus``). On the embedded default the
feed reads that bus directly. With ``HOTLINE_REDIS_URL`` set, each process publishes its
own bridge's events to a Redis channel and every process (its own included) reads the
channel, so any API process can serve any wallboard, whichever process runs the bridge.

Each event is encoded once per view (full numbers / masked numbers), not once per client:
200 wallboards cost two ``json.dumps`` per event, not 200. The feed also keeps what a new
client's snapshot needs: the latest queue rows per PBX, which bridges are connected, and
today's statistics (recomputed shortly after calls end).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from ami_bridge.intervals import Interval
from ami_bridge.queries.queue_stats import StatsQuery, queue_stats
from api.live_view import aged, bridge_rows, snapshot_rows
from api.redaction import for_viewer
from api.state import AppState
from core.bus import Event, EventBus
from core.times import from_epoch, iso

log = logging.getLogger("hotline.live")

HEARTBEAT_S = 10.0
TODAY_DEBOUNCE_S = 0.5
TODAY_REFRESH_S = 60.0
#: Call events after which today's statistics change.
STATS_EVENTS = frozenset({"answered", "abandoned", "exited", "ended"})


def encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def frame(event: Event) -> Event:
    """What travels on the client bus: the event pre-encoded for each view."""
    kind = event.get("type")
    agents = None
    if kind == "call":
        agents = frozenset(str(event[k]) for k in ("agent", "agent_interface") if event.get(k))
    numbers = [event["caller"]] if kind == "call" and isinstance(event.get("caller"), str) else []
    return {"type": kind, "agents": agents, "full": encode(event), "masked": encode(for_viewer(event, False, numbers))}


class LiveFeed:
    def __init__(self, state: AppState, source: EventBus, *, client_queue_size: int = 2000) -> None:
        self.state = state
        self.source = source
        self.clients = EventBus(queue_size=client_queue_size)
        #: server_id → (rows as the bridge rendered them, monotonic time received)
        self.latest: dict[str, tuple[list[dict[str, Any]], float]] = {}
        self.bridges: dict[str, bool] = {}
        self.today: list[dict[str, Any]] = []
        self.events = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._today_pending = False

    # -- life cycle -----------------------------------------------------------------------
    async def start(self) -> None:
        spawn = asyncio.get_running_loop().create_task
        if self.state.settings.redis_url:
            self._tasks.append(spawn(self._to_redis(), name="live-feed-to-redis"))
            self._tasks.append(spawn(self._from_redis(), name="live-feed-from-redis"))
        else:
            self._tasks.append(spawn(self._from_bus(), name="live-feed"))
        self._tasks.append(spawn(self._heartbeat(), name="live-feed-heartbeat"))
        self._tasks.append(spawn(self._today_loop(), name="live-feed-today"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    # -- sources --------------------------------------------------------------------------
    async def _from_bus(self) -> None:
        subscription = self.source.subscribe()
        while True:
            event = await subscription.get()
            if event is None:  # fell behind: the bus dropped us; pick up again, clients resync
                log.warning("live feed fell behind its bridge; clients will reload a snapshot")
                subscription = self.source.subscribe()
                self.clients.publish({"type": "resync"})
                continue
            self.handle(event)

    async def _to_redis(self) -> None:
        import redis.asyncio as redis

        client = redis.from_url(self.state.settings.redis_url)
        subscription = self.source.subscribe()
        try:
            while True:
                event = await subscription.get()
                if event is None:
                    subscription = self.source.subscribe()
                    continue
                try:
                    await client.publish(self.state.settings.redis_channel, encode(event))
                except Exception as exc:  # Redis down: the event is lost; clients resync when it is back
                    log.warning("live feed: cannot publish to Redis (%s)", type(exc).__name__)
        finally:
            subscription.close()
            await client.aclose()

    async def _from_redis(self) -> None:
        import redis.asyncio as redis

        delay = 0.5
        while True:
            client = redis.from_url(self.state.settings.redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.state.settings.redis_channel)
                    delay = 0.5
                    self.clients.publish({"type": "resync"})  # whatever was missed while away
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        try:
                            event = json.loads(message["data"])
                        except ValueError:
                            log.warning("live feed: ignored a message on %s that is not JSON", self.state.settings.redis_channel)
                            continue
                        if isinstance(event, dict):
                            self.handle(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live feed: Redis subscription lost (%s); retrying in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    # -- events ---------------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        """Note what a snapshot needs, then pass the event on to every client."""
        kind = event.get("type")
        server_id = str(event.get("server_id", ""))
        if kind == "queues" and isinstance(event.get("queues"), list):
            rows = [{**row, "server_id": row.get("server_id", server_id)} for row in event["queues"]]
            self.latest[server_id] = (rows, time.monotonic())
            event = {**event, "queues": rows}
        elif kind == "bridge":
            self.bridges[server_id] = bool(event.get("connected"))
        elif kind == "call" and event.get("event") in STATS_EVENTS:
            self.schedule_today()
        self.events += 1
        self.clients.publish(frame(event))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            self.clients.publish(frame({"type": "heartbeat", "at": time.time()}))

    # -- today's statistics ---------------------------------------------------------------
    def schedule_today(self) -> None:
        if self._today_pending:
            return
        self._today_pending = True
        asyncio.get_running_loop().call_later(TODAY_DEBOUNCE_S, lambda: asyncio.ensure_future(self.refresh_today()))

    async def refresh_today(self) -> None:
        self._today_pending = False
        try:
            servers = sorted({row["server_id"] for row in await self.queue_rows()})
            self.today = await asyncio.to_thread(self.compute_today, servers)
        except Exception:
            log.exception("live feed: today's statistics could not be computed")
            return
        self.clients.publish(frame({"type": "today", "stats": self.today}))

    async def _today_loop(self) -> None:
        while True:
            await self.refresh_today()
            await asyncio.sleep(TODAY_REFRESH_S)

    def compute_today(self, servers: list[str]) -> list[dict[str, Any]]:
        """Per PBX and queue, statistics since midnight in the center's zone (in a worker thread)."""
        settings = self.state.settings
        zone = self.state.zone
        start = Interval("day").floor(self.state.now(), zone)
        rows: list[dict[str, Any]] = []
        with self.state.sessions() as session:
            for server_id in servers:
                for row in queue_stats(
                    session,
                    StatsQuery(start=start, server_id=server_id),
                    zone=zone,
                    short_abandon_s=settings.short_abandon_s,
                    default_service_level_s=settings.default_service_level_s,
                    wrapup_reasons=settings.wrapup_reasons,
                    queue_wrapup_s=settings.queue_wrapup_s,
                ):
                    rows.append({"server_id": server_id, **row})
        return rows

    # -- snapshots ------------------------------------------------------------------------
    # Live state is read only in the event loop's thread, the one the bridge moves it in;
    # the database snapshots are read in a worker thread.
    async def queue_rows(self) -> list[dict[str, Any]]:
        """The ``hotline queues live --json`` rows this process can see best now."""
        zone = self.state.zone

        def from_database() -> list[dict[str, Any]]:
            with self.state.sessions() as session:
                return snapshot_rows(session, time.time(), zone)

        stored = await asyncio.to_thread(from_database)
        now = time.time()
        by_server: dict[str, list[dict[str, Any]]] = {}
        for row in stored:
            by_server.setdefault(row["server_id"], []).append(row)
        mono = time.monotonic()
        for server_id, (rows, received) in self.latest.items():
            live = self.bridges.get(server_id, True)
            by_server[server_id] = [{**row, "as_of": iso_now(now, zone), "live": live} for row in aged(rows, mono - received)]
        bridge = self.state.bridge
        if bridge is not None:
            by_server[bridge.server_id] = bridge_rows(bridge.live, bridge.server_id, bridge.connected, now, zone)  # type: ignore[arg-type]
        return [row for server_id in sorted(by_server) for row in sorted(by_server[server_id], key=lambda r: r["queue"])]

    def identities(self, interfaces: tuple[str, ...]) -> frozenset[str]:
        """``interfaces`` and the member names the queues know them by: call events name
        the agent as the queue does (``Agent Li``), an agent user is linked by interface."""
        names = set(interfaces)
        rows = [row for rows, _ in self.latest.values() for row in rows]
        bridge = self.state.bridge
        if bridge is not None:
            rows += bridge_rows(bridge.live, bridge.server_id, bridge.connected, time.time(), self.state.zone)  # type: ignore[arg-type]
        for row in rows:
            for agent in row.get("agents", []):
                if agent.get("interface") in interfaces and agent.get("name"):
                    names.add(agent["name"])
        return frozenset(names)

    async def snapshot(self, *, full_numbers: bool) -> dict[str, Any]:
        rows = await self.queue_rows()
        bridges = dict(self.bridges)
        if self.state.bridge is not None:
            bridges[self.state.bridge.server_id] = self.state.bridge.connected
        value = {"type": "snapshot", "at": time.time(), "queues": rows, "today": self.today, "bridges": bridges}
        return for_viewer(value, full_numbers)

def iso_now(now: float, zone: Any) -> str | None:
    return iso(from_epoch(now), zone)
