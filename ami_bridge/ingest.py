"""The bridge's core step, shared by the live bridge, replays, rebuilds and benchmarks:
a batch of messages is journaled, interpreted and its facts persisted in one
transaction, so the journal and the facts never disagree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ami_bridge import facts as f
from ami_bridge.message import Message
from ami_bridge.store import FactWriter, append_journal
from ami_bridge.tracker import CallTracker
from core.db import transaction

log = logging.getLogger(__name__)

Batch = Sequence[tuple[Message, float, float]]  # (message, receive time, event time)


class PersistError(Exception):
    """The database refused a batch after the tracker had read it: retry ``persist``
    with these facts (feeding the messages again would count them twice)."""

    def __init__(self, facts: list[f.Fact]) -> None:
        super().__init__("could not persist an AMI batch")
        self.facts = facts


class Ingestor:
    def __init__(self, server_id: str, sessions: sessionmaker[Session], tracker: CallTracker) -> None:
        self.server_id = server_id
        self.sessions = sessions
        self.tracker = tracker
        self.writer = FactWriter(server_id)
        #: Messages the tracker failed on (kept in the journal for a rebuild after a fix).
        self.tracker_errors = 0

    def ingest(self, batch: Batch, *, journal: bool = True) -> list[f.Fact]:
        """Journal (unless rebuilding from the journal), track and persist ``batch``."""
        facts: list[f.Fact] | None = None
        try:
            with transaction(self.sessions) as session:
                if journal:
                    append_journal(session, self.server_id, batch)
                facts = self._track(batch)
                self.writer.write(session, facts)
        except SQLAlchemyError as exc:
            if facts is None:
                raise
            raise PersistError(facts) from exc
        return facts

    def _track(self, batch: Batch) -> list[f.Fact]:
        feed = self.tracker.feed
        facts: list[f.Fact] = []
        for message, _received_at, at in batch:
            try:
                facts.extend(feed(message, at))
            except Exception:
                # A tracker bug must not stop the bridge: the message stays in the
                # journal, so a fixed tracker rebuilds what this one missed.
                self.tracker_errors += 1
                log.exception("call tracker failed on %r (%s); message kept in the journal", message, self.server_id)
        return facts

    def persist(self, batch: Batch, facts: list[f.Fact], *, journal: bool = True) -> None:
        """Write an already tracked batch (the retry after ``PersistError``)."""
        with transaction(self.sessions) as session:
            if journal:
                append_journal(session, self.server_id, batch)
            self.writer.write(session, facts)
