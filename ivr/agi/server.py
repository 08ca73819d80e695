"""``hotline agi``: the asyncio FastAGI server.

One task per connection, and one writer task: journeys, survey scores and voicemail
records go through a queue to the database in batches (one transaction each), after the
call or while it goes on, so that the database never delays a caller; stopping the
server writes what is queued. (A crash loses what is queued: about a second's worth.)
Callback requests are the exception: they are stored before the caller is told so.

Every call's task is tracked from accept to close, so a session can neither outlive its
socket nor be forgotten (``active`` counts them; tests check it goes back to 0). Whatever one connection sends — garbage, a flow that does not exist, a
hang-up at any moment — ends that connection cleanly and never the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from core.clock import Clock, SystemClock
from ivr.agi.connection import AgiConnection, ConnectionLost
from ivr.agi.protocol import AgiProtocolError, quote, word
from ivr.agi.session import AgiConfig, CallSession
from ivr.journeys import CallIds, JourneyRecord, JourneyStore, Record
from ivr.registry import FlowRegistry, FlowUnavailable

log = logging.getLogger(__name__)

#: Journeys stored per transaction, and the pause between two full batches.
WRITE_BATCH = 50
WRITE_PAUSE_S = 0.05
#: Returns the emergency flow's name while the override is on, else None.
EmergencyLookup = Callable[[], Awaitable[str | None]]


class FastAgiServer:
    def __init__(self, registry: FlowRegistry, *, config: AgiConfig, store: JourneyStore | None = None,
                 emergency: EmergencyLookup | None = None, clock: Clock | None = None, env_timeout_s: float = 10.0) -> None:
        self.registry = registry
        self.config = config
        self.store = store
        self.emergency = emergency
        self.clock = clock or SystemClock()
        self.env_timeout_s = env_timeout_s
        self.sessions: set[asyncio.Task[None]] = set()
        self.handled = 0
        self._server: asyncio.Server | None = None
        self._journeys: asyncio.Queue[Record] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    @property
    def active(self) -> int:
        return len(self.sessions)

    async def start(self, host: str, port: int) -> asyncio.Server:
        self._server = await asyncio.start_server(self._accept, host, port, limit=16384, backlog=1024)
        if self.store is not None:
            self._writer = asyncio.create_task(self._write_journeys(self.store))
        return self._server

    @property
    def pending_journeys(self) -> int:
        return self._journeys.qsize()

    async def _write_journeys(self, store: JourneyStore) -> None:
        """One writer for every call: journeys are stored in batches, off the event loop."""
        while True:
            batch = [await self._journeys.get()]
            while len(batch) < WRITE_BATCH and not self._journeys.empty():
                batch.append(self._journeys.get_nowait())
            try:
                await self._store_batch(store, batch)
            finally:
                for _ in batch:
                    self._journeys.task_done()
            # The writer thread competes with live calls for the GIL: leave the event loop
            # a moment to itself between batches when many calls end at once.
            if not self._journeys.empty():
                await asyncio.sleep(WRITE_PAUSE_S)

    async def _store_batch(self, store: JourneyStore, batch: list[Record]) -> None:
        try:
            await asyncio.to_thread(store.save_batch, batch)
        except Exception:  # noqa: BLE001 - one bad journey must not lose the batch
            if len(batch) == 1:
                log.exception("could not store the %s of %s", type(batch[0]).__name__.removesuffix("Record").lower(), batch[0].ids.uniqueid)
                return
            for record in batch:
                await self._store_batch(store, [record])

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.sessions.add(task)
        try:
            await self.handle(AgiConnection(reader, writer))
        finally:
            self.sessions.discard(task)
            self.handled += 1

    async def handle(self, conn: AgiConnection) -> None:
        peer = conn.writer.get_extra_info("peername")
        session: CallSession | None = None
        try:
            env = await conn.read_environment(self.env_timeout_s)
            requested = env.script
            name = requested
            if self.emergency is not None:
                override = await self.emergency()
                if override:
                    name = override
            try:
                flow = self.registry.get(name)
            except FlowUnavailable as exc:
                log.error("%s (%s): %s", env.get("uniqueid") or peer, env.get("channel"), exc)
                await self._refuse(conn, env.get("uniqueid"), requested)
                return
            session = CallSession(conn, env, flow, config=self.config, clock=self.clock, store=self.store, requested_flow=requested,
                                  defer=self._journeys.put_nowait if self.store is not None else None)
            await session.execute()
        except (ConnectionLost, asyncio.TimeoutError) as exc:
            log.info("%s: connection ended (%s)", peer, exc or "timeout")
        except AgiProtocolError as exc:
            log.warning("%s: not AGI, closing: %s", peer, exc)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one bad call must not stop the others
            log.exception("%s: session failed", peer)
        finally:
            await conn.close()
            if session is not None and self.store is not None:
                self._journeys.put_nowait(session.record())

    async def _refuse(self, conn: AgiConnection, uniqueid: str, requested: str) -> None:
        """An unknown or broken flow: say so and hang up, instead of leaving the caller in silence."""
        started = self.clock.now()
        try:
            reply = await conn.send("ANSWER")
            if not conn.hung_up and reply.ok:
                await conn.send("STREAM", "FILE", word(self.config.error_prompt), quote(""))
            if not conn.hung_up:
                await conn.send("HANGUP")
        finally:
            await conn.close()
        if self.store is not None and uniqueid:
            ids = CallIds(self.config.server_id, uniqueid, uniqueid, requested[:128] or "?")
            self._journeys.put_nowait(JourneyRecord(ids, [], started, self.clock.now(), "no_flow"))

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self.sessions):
            task.cancel()
        if self.sessions:
            await asyncio.gather(*self.sessions, return_exceptions=True)
        if self._writer is not None:
            # Store what the ended calls left, then stop the writer.
            await self._journeys.join()
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)


class EmergencyCache:
    """Reads the override at most every ``ttl_s`` (a query per call would be 500 a
    second at peak; a switch taking 2 s to reach new calls is fine)."""

    def __init__(self, read: Callable[[], str | None], *, ttl_s: float = 2.0, clock: Clock | None = None) -> None:
        self.read = read
        self.ttl_s = ttl_s
        self.clock = clock or SystemClock()
        self._value: str | None = None
        self._at = float("-inf")
        self._lock = asyncio.Lock()

    async def __call__(self) -> str | None:
        async with self._lock:
            if self.clock.now() - self._at >= self.ttl_s:
                try:
                    self._value = await asyncio.to_thread(self.read)
                except Exception:  # noqa: BLE001 - keep the last known state if the database blinks
                    log.exception("could not read the emergency override")
                self._at = self.clock.now()
            return self._value
