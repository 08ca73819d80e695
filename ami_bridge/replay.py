"""Replaying recorded traffic and rebuilding the call log from the journal.

Both run the same ``Ingestor`` as the live bridge. A replay journals what it reads, so
replaying a file twice changes nothing (same receive times, same bytes); a rebuild
clears one PBX's facts and runs its journal through a fresh tracker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from ami_bridge import models
from ami_bridge.event_time import EventClock
from ami_bridge.facts import CallEnded
from ami_bridge.framing import Banner
from ami_bridge.ingest import Ingestor
from ami_bridge.live_state import LiveState
from ami_bridge.message import Message
from ami_bridge.queries.live import save_snapshot
from ami_bridge.store import read_journal
from ami_bridge.traces import TraceProblem, read_trace
from ami_bridge.tracker import CallTracker
from core.db import transaction

BATCH = 2000


@dataclass
class ReplayReport:
    messages: int = 0
    calls_ended: int = 0
    open_calls: int = 0
    problems: list[str] = field(default_factory=list)


def _batches(items: Iterable[tuple[Message, float, float]], size: int = BATCH) -> Iterator[list[tuple[Message, float, float]]]:
    batch: list[tuple[Message, float, float]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _run(ingestor: Ingestor, live: LiveState, items: Iterable[tuple[Message, float, float]], report: ReplayReport, *, journal: bool) -> None:
    for batch in _batches(items):
        facts = ingestor.ingest(batch, journal=journal)
        live.apply(facts)
        report.messages += len(batch)
        report.calls_ended += sum(isinstance(fact, CallEnded) for fact in facts)


def replay_files(
    paths: list[Path], sessions: sessionmaker[Session], *, server_id: str, ivr_endpoints: frozenset[str], pbx_zone: timezone = timezone.utc
) -> ReplayReport:
    """Feed trace files, in the order given, through one tracker into the database."""
    report = ReplayReport()
    tracker = CallTracker(ivr_endpoints=ivr_endpoints)
    ingestor = Ingestor(server_id, sessions, tracker)
    live = LiveState()
    clock = EventClock(live=False, pbx_zone=pbx_zone)

    def messages(path: Path) -> Iterator[tuple[Message, float, float]]:
        for item in read_trace(path):
            if isinstance(item, TraceProblem):
                report.problems.append(str(item))
            elif isinstance(item, Banner):
                continue
            else:
                message, ts = item
                at = clock.time_of(message, ts)
                yield message, at if ts is None else ts, at

    for path in paths:
        _run(ingestor, live, messages(path), report, journal=True)
    report.open_calls = tracker.open_calls
    with transaction(sessions) as session:
        save_snapshot(session, server_id, datetime.fromtimestamp(clock.now or 0, timezone.utc), False, live.to_json())
    return report


def rebuild(sessions: sessionmaker[Session], *, server_id: str, ivr_endpoints: frozenset[str]) -> ReplayReport:
    """Clear one PBX's facts and derive them again from its journal."""
    report = ReplayReport()
    with transaction(sessions) as session:
        for table in models.delete_order():
            session.execute(delete(table).where(table.server_id == server_id))  # type: ignore[attr-defined]
    tracker = CallTracker(ivr_endpoints=ivr_endpoints)
    ingestor = Ingestor(server_id, sessions, tracker)
    live = LiveState()
    clock = EventClock(live=False)

    def messages() -> Iterator[tuple[Message, float, float]]:
        last_id = 0
        while True:
            # Keyset pages: a long rebuild never holds one huge result set.
            with sessions() as session:
                rows = session.execute(
                    select(models.JournalEntry.id, models.JournalEntry.received_at, models.JournalEntry.raw)
                    .where(models.JournalEntry.server_id == server_id, models.JournalEntry.id > last_id)
                    .order_by(models.JournalEntry.id)
                    .limit(20000)
                ).all()
            if not rows:
                return
            last_id = rows[-1].id
            for row in rows:
                for message in read_journal(bytes(row.raw)):
                    yield message, row.received_at, clock.time_of(message, row.received_at)

    _run(ingestor, live, messages(), report, journal=False)
    report.open_calls = tracker.open_calls
    with transaction(sessions) as session:
        save_snapshot(session, server_id, datetime.fromtimestamp(clock.now or 0, timezone.utc), False, live.to_json())
    return report
