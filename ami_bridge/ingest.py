"""The bridge's core step, shared by the live bridge, replays, rebuilds and benchmarks:
a batch of messages is journaled, interpreted and its facts persisted in one
transaction, so the journal and the facts never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from ami_bridge import facts as f
from ami_bridge.message import Message
from ami_bridge.store import FactWriter, append_journal
from ami_bridge.tracker import CallTracker
from core.db import transaction


class Ingestor:
    def __init__(self, server_id: str, sessions: sessionmaker[Session], tracker: CallTracker) -> None:
        self.server_id = server_id
        self.sessions = sessions
        self.tracker = tracker
        self.writer = FactWriter(server_id)
        self.messages = 0

    def ingest(self, batch: Sequence[tuple[Message, float, float]], *, journal: bool = True) -> list[f.Fact]:
        """Journal (unless rebuilding from the journal), track and persist ``batch``:
        ``(message, receive time, event time)`` items in arrival order."""
        facts: list[f.Fact] = []
        feed = self.tracker.feed
        with transaction(self.sessions) as session:
            if journal:
                append_journal(session, self.server_id, batch)
            for message, _received_at, at in batch:
                facts.extend(feed(message, at))
            self.writer.write(session, facts)
        self.messages += len(batch)
        return facts
