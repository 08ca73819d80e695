"""The live AMI bridge: connection, reconnect, resync, and the ingest loop.

Theory of operation
-------------------
Two tasks share one queue of received messages:

* the **session task** connects and logs in (``connection.AmiSession``), then asks for
  ``CoreShowChannels`` and ``QueueStatus`` so that live state is right even after an
  outage (the tracker reconciles what it knew with these lists), pings every
  ``HOTLINE_AMI_PING_INTERVAL_S`` and, when the connection fails, reconnects with
  exponential back-off and full jitter (so that many bridges do not hammer a restarted
  PBX in step);
* the **ingest task** takes everything received so far as one batch and runs
  ``Ingestor.ingest`` (journal → tracker → facts, one transaction) in a single worker
  thread, so database I/O never blocks the event loop while messages keep arriving
  (Asterisk drops managers that do not read). Under load batches grow; when idle each
  read is committed at once. If the database refuses a batch, the same facts are
  retried until it accepts them; nothing is fed to the tracker twice.

After every batch the live state moves, the live feed gets queue and call events, and
(at most every ``SNAPSHOT_EVERY_S``) a snapshot is written for other processes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from asterisk.ami import SimpleAction
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ami_bridge.connection import AmiActionError, AmiError, AmiNotConnected, AmiSession
from ami_bridge.event_time import EventClock
from ami_bridge.ingest import Ingestor, PersistError
from ami_bridge.live_feed import call_events
from ami_bridge.live_state import LiveState, render
from ami_bridge.message import Message
from ami_bridge import facts as f
from ami_bridge.models import AgentLogin, AgentPause, BridgeCheckpoint, JournalEntry
from ami_bridge.queries.live import save_snapshot
from ami_bridge.store import read_journal
from ami_bridge.tracker import CallTracker
from core.bus import EventBus
from core.db import transaction, upsert
from core.settings import Settings
from core.times import center_zone

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 1.0
#: Received but not yet committed messages above which the bridge stops reading: memory
#: stays bounded when the database is slower than a burst of AMI traffic. (Asterisk
#: drops a manager that stops reading for longer than its ``writetimeout``; the resync
#: after the reconnect repairs the live state.)
BACKLOG_HIGH = 50000
#: At most this many messages per transaction, so the live feed keeps moving under load.
BATCH_MAX = 20000
HEARTBEAT_S = 2.0
FIRST_RETRY_S = 0.5
#: The checkpoint starts this long before the oldest open call, for clock differences
#: between Asterisk's Timestamp and our receive time.
CHECKPOINT_MARGIN_S = 60.0


@dataclass
class BridgeStats:
    messages: int = 0
    batches: int = 0
    reconnects: int = 0
    last_message_at: float | None = None
    #: Receive → committed, for the newest batch.
    lag_s: float = 0.0


class AmiBridge:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], *, bus: EventBus | None = None) -> None:
        self.settings = settings
        self.server_id = settings.server_id
        self.sessions = sessions
        self.bus = bus
        self.tracker = CallTracker(ivr_endpoints=frozenset(settings.ivr_endpoints))
        self.ingestor = Ingestor(self.server_id, sessions, self.tracker)
        self.live = LiveState()
        self.stats = BridgeStats()
        self.zone = center_zone(settings.timezone)
        self._clock = EventClock(live=True)
        self._received: list[tuple[Message, float]] = []
        self._received_total = 0
        self._wakeup = asyncio.Event()
        self._session: AmiSession | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ami-ingest-{self.server_id}")
        self._last_snapshot = 0.0
        self.connected_event = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self._session is not None

    # -- public -----------------------------------------------------------------------------
    async def run(self) -> None:
        """Run until cancelled: keep a session up and ingest what it receives."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._warm_up)
        ingest = asyncio.create_task(self._ingest_loop(), name=f"ami-ingest-{self.server_id}")
        try:
            await self._session_loop()
        finally:
            ingest.cancel()
            await asyncio.gather(ingest, return_exceptions=True)
            # A last snapshot (disconnected) and checkpoint for the next run.
            self._executor.submit(self._save_snapshot, self.live.to_json())
            self._executor.shutdown(wait=True)

    async def send_action(self, name: str, headers: dict[str, str] | None = None, *, timeout: float = 10.0) -> Message:
        session = self._session
        if session is None:
            raise AmiNotConnected(f"the AMI bridge for {self.server_id} is not connected")
        return await session.request(SimpleAction(name, **(headers or {})), timeout=timeout)

    async def send_list_action(self, name: str, headers: dict[str, str] | None = None, *, timeout: float = 10.0) -> list[Message]:
        """A list action's events (``QueueSummary``, ``QueueStatus``, ``CoreShowChannels``)."""
        session = self._session
        if session is None:
            raise AmiNotConnected(f"the AMI bridge for {self.server_id} is not connected")
        return await session.request_list(SimpleAction(name, **(headers or {})), timeout=timeout)

    async def originate(
        self, *, channel: str, context: str, exten: str, caller_id: str = "", variables: dict[str, str] | None = None, timeout_s: int = 30
    ) -> Message:
        """Start a call (callbacks): ring ``channel``, then run ``context,exten,1``.

        Async, so Asterisk answers at once ("successfully queued") and reports the outcome
        later as an ``OriginateResponse`` event, which the tracker links to the call.
        """
        action = SimpleAction("Originate", Channel=channel, Context=context, Exten=exten, Priority="1", Timeout=str(timeout_s * 1000), Async="true")
        if caller_id:
            action.keys["CallerID"] = caller_id
        for key, value in (variables or {}).items():
            action.variables[key] = value
        session = self._session
        if session is None:
            raise AmiNotConnected(f"the AMI bridge for {self.server_id} is not connected")
        return await session.request(action)

    async def redirect(self, *, channel: str, context: str, exten: str, priority: int = 1) -> Message:
        """Move a live channel to another place in the dialplan (e.g. a queue)."""
        return await self.send_action("Redirect", {"Channel": channel, "Context": context, "Exten": exten, "Priority": str(priority)})

    async def queue_pause(self, *, interface: str, paused: bool, reason: str = "", queue: str | None = None) -> Message:
        headers = {"Interface": interface, "Paused": "true" if paused else "false"}
        if queue:
            headers["Queue"] = queue
        if reason:
            headers["Reason"] = reason
        return await self.send_action("QueuePause", headers)

    def snapshot(self, now: float | None = None) -> list[dict]:
        return render(self.live.to_json(), time.time() if now is None else now, server_id=self.server_id)

    # -- the session ------------------------------------------------------------------------
    async def _session_loop(self) -> None:
        settings = self.settings
        failures = 0
        while True:
            try:
                session, reader = await AmiSession.open(
                    settings.ami_host, settings.ami_port, settings.ami_username, settings.ami_secret.get_secret_value(), self._receive
                )
            except AmiActionError as exc:
                log.error("AMI login to %s:%s refused: %s", settings.ami_host, settings.ami_port, exc.message)
            except (OSError, asyncio.TimeoutError, AmiError) as exc:
                log.warning("AMI connection to %s:%s failed: %s", settings.ami_host, settings.ami_port, exc or type(exc).__name__)
            else:
                failures = 0
                await self._serve(session, reader)
            failures += 1
            self.stats.reconnects += 1
            # Full jitter: a random wait up to the exponential bound.
            bound = min(settings.ami_reconnect_max_s, FIRST_RETRY_S * 2 ** min(failures, 16))
            await asyncio.sleep(random.uniform(bound / 2, bound))

    async def _serve(self, session: AmiSession, reader: asyncio.Task[None]) -> None:
        self._session = session
        self.connected_event.set()
        self._publish({"type": "bridge", "server_id": self.server_id, "connected": True, "received_at": time.time()})
        log.info("AMI connected to %s:%s (%s)", self.settings.ami_host, self.settings.ami_port, session.banner)
        keepalive = asyncio.create_task(self._keepalive(session))
        try:
            # Resync: channels first, so queue entries find their calls.
            await session.request(SimpleAction("CoreShowChannels"))
            await session.request(SimpleAction("QueueStatus"))
            done, _ = await asyncio.wait({reader, keepalive}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is not None:
                    log.warning("AMI connection lost: %s", task.exception())
        except (AmiError, asyncio.TimeoutError, OSError) as exc:
            log.warning("AMI resync failed: %s", exc or type(exc).__name__)
        finally:
            self._session = None
            self.connected_event.clear()
            session.close()
            for task in (reader, keepalive):
                task.cancel()
            await asyncio.gather(reader, keepalive, return_exceptions=True)
            self._publish({"type": "bridge", "server_id": self.server_id, "connected": False, "received_at": time.time()})

    async def _keepalive(self, session: AmiSession) -> None:
        interval = self.settings.ami_ping_interval_s
        while True:
            await asyncio.sleep(interval)
            await session.request(SimpleAction("Ping"), timeout=interval)

    def _receive(self, batch: list[tuple[Message, float]]) -> None:
        self._received.extend(batch)
        self._received_total += len(batch)
        self._wakeup.set()
        if len(self._received) > BACKLOG_HIGH and self._session is not None:
            self._session.pause_reading()

    async def drained(self, timeout: float = 30.0) -> None:
        """Wait until everything received so far is committed (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while self.stats.messages < self._received_total:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self._received_total - self.stats.messages} AMI messages still not committed")
            await asyncio.sleep(0.005)

    # -- ingest -----------------------------------------------------------------------------
    async def _ingest_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await asyncio.wait_for(self._wakeup.wait(), HEARTBEAT_S)
            except asyncio.TimeoutError:
                await loop.run_in_executor(self._executor, self._save_snapshot, self.live.to_json())
                continue
            self._wakeup.clear()
            received, self._received = self._received[:BATCH_MAX], self._received[BATCH_MAX:]
            if self._received:
                self._wakeup.set()
            if len(self._received) < BACKLOG_HIGH // 2 and self._session is not None:
                self._session.resume_reading()
            if not received:
                continue
            clock = self._clock
            batch = [(m, at, clock.time_of(m, at)) for m, at in received]
            facts = await self._ingest(loop, batch)
            now = time.time()
            self.stats.messages += len(batch)
            self.stats.batches += 1
            self.stats.last_message_at = batch[-1][1]
            self.stats.lag_s = now - batch[-1][1]
            received_at = batch[-1][1]
            if self.live.apply(facts):
                self._publish({"type": "queues", "server_id": self.server_id, "queues": self.snapshot(now), "received_at": received_at})
            for event in call_events(self.server_id, facts, self.zone, received_at):
                self._publish(event)
            if now - self._last_snapshot >= SNAPSHOT_EVERY_S:
                # The state is copied here, in the loop thread that moves it.
                await loop.run_in_executor(self._executor, self._save_snapshot, self.live.to_json())

    async def _ingest(self, loop: asyncio.AbstractEventLoop, batch: list[tuple[Message, float, float]]) -> list:
        try:
            return await loop.run_in_executor(self._executor, self.ingestor.ingest, batch)
        except PersistError as error:
            log.error("database refused an AMI batch of %d messages; retrying: %s", len(batch), error.__cause__)
            delay = FIRST_RETRY_S
            while True:
                await asyncio.sleep(delay)
                try:
                    await loop.run_in_executor(self._executor, self.ingestor.persist, batch, error.facts)
                    return error.facts
                except Exception as exc:  # the database is still away
                    log.error("retrying AMI batch: %s", exc)
                    delay = min(delay * 2, self.settings.ami_reconnect_max_s)

    def _warm_up(self) -> None:
        """Pick up where the last run of this bridge stopped: open logins and pauses from
        the database, and the calls still open then from the journal since the
        checkpoint (facts are idempotent, so what was already written stays as is)."""
        with self.sessions() as session:
            checkpoint = session.get(BridgeCheckpoint, self.server_id)
            logins = session.scalars(select(AgentLogin).where(AgentLogin.server_id == self.server_id, AgentLogin.ended_at.is_(None))).all()
            pauses = {
                (p.queue, p.interface): p
                for p in session.scalars(select(AgentPause).where(AgentPause.server_id == self.server_id, AgentPause.ended_at.is_(None)))
            }
        self.tracker = self.ingestor.tracker = CallTracker(
            ivr_endpoints=self.tracker.ivr_endpoints, uptime_s=None if checkpoint is None else checkpoint.uptime_s
        )
        for login in logins:
            pause = pauses.get((login.queue, login.interface))
            self.tracker.restore_member(
                login.queue,
                login.interface,
                login.member_name,
                f.LoginRecord(login.queue, login.interface, login.member_name, login.started_at.timestamp()),
                None if pause is None else f.PauseRecord(pause.queue, pause.interface, pause.member_name, pause.started_at.timestamp(), pause.reason),
            )
        if checkpoint is None:
            return
        last_id, replayed = 0, 0
        while True:
            with self.sessions() as session:
                rows = session.execute(
                    select(JournalEntry.id, JournalEntry.received_at, JournalEntry.raw)
                    .where(JournalEntry.server_id == self.server_id, JournalEntry.received_at >= checkpoint.resume_at, JournalEntry.id > last_id)
                    .order_by(JournalEntry.id)
                    .limit(5000)
                ).all()
            if not rows:
                break
            last_id = rows[-1].id
            batch = [(m, row.received_at, self._clock.time_of(m, row.received_at)) for row in rows for m in read_journal(bytes(row.raw))]
            self.live.apply(self.ingestor.ingest(batch, journal=False))
            replayed += len(batch)
        log.info("resumed %s from its journal: %d messages, %d calls still open", self.server_id, replayed, self.tracker.open_calls)

    def _save_snapshot(self, state: dict | None = None) -> None:
        """Write the live snapshot and the restart checkpoint (in the ingest thread, which
        owns the tracker)."""
        self._last_snapshot = time.time()
        oldest = self.tracker.oldest_open_call_at()
        resume_at = (oldest if oldest is not None else self.stats.last_message_at or time.time()) - CHECKPOINT_MARGIN_S
        try:
            with transaction(self.sessions) as session:
                if state is not None:
                    save_snapshot(session, self.server_id, datetime.now(timezone.utc), self.connected, state)
                upsert(session, BridgeCheckpoint.__table__, [{"server_id": self.server_id, "resume_at": resume_at, "uptime_s": self.tracker.uptime_s}], ["server_id"])
        except Exception as exc:  # a snapshot is a convenience; the next one will do
            log.warning("could not save the live snapshot: %s", exc)

    def _publish(self, event: dict) -> None:
        if self.bus is not None:
            self.bus.publish(event)
