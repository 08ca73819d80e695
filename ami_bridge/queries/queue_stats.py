"""Queue statistics per queue and interval, from the ``queue_calls`` facts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ami_bridge.intervals import Interval
from ami_bridge.metrics import QueueMetrics, VisitFacts
from ami_bridge.models import QueueCall, QueueConfig
from ami_bridge.queries.wrapup import WrapUps
from core.times import iso


@dataclass(frozen=True)
class StatsQuery:
    start: datetime | None = None
    end: datetime | None = None
    interval: Interval | None = None
    queue: str | None = None
    server_id: str | None = None


def _known_queues(session: Session, server_id: str | None) -> dict[str, int | None]:
    """Queues Asterisk described (``QueueParams``), with their ``servicelevel``."""
    statement = select(QueueConfig.name, QueueConfig.service_level_s)
    if server_id is not None:
        statement = statement.where(QueueConfig.server_id == server_id)
    return {name: level for name, level in session.execute(statement)}


def queue_stats(
    session: Session,
    query: StatsQuery,
    *,
    zone: tzinfo,
    short_abandon_s: float,
    default_service_level_s: int,
    wrapup_reasons: list[str],
    queue_wrapup_s: dict[str, float],
) -> list[dict[str, Any]]:
    """One row per queue (and per interval when asked), ordered by queue then time."""
    statement = select(
        QueueCall.queue,
        QueueCall.joined,
        QueueCall.joined_at,
        QueueCall.outcome,
        QueueCall.wait_s,
        QueueCall.talk_s,
        QueueCall.hold_s,
        QueueCall.agent_interface,
        QueueCall.completed_at,
    ).order_by(QueueCall.joined_at)
    if query.start is not None:
        statement = statement.where(QueueCall.joined_at >= query.start)
    if query.end is not None:
        statement = statement.where(QueueCall.joined_at < query.end)
    if query.queue is not None:
        statement = statement.where(QueueCall.queue == query.queue)
    if query.server_id is not None:
        statement = statement.where(QueueCall.server_id == query.server_id)
    rows = session.execute(statement).all()
    wrapups = WrapUps.load(session, start=query.start, server_id=query.server_id, reasons=wrapup_reasons, queue_wrapup_s=queue_wrapup_s)
    levels = _known_queues(session, query.server_id)

    Span = tuple[datetime | None, datetime | None]
    buckets: dict[tuple[str, Span], list[VisitFacts]] = defaultdict(list)
    interval = query.interval
    for row in rows:
        wrapup = 0.0 if row.completed_at is None else wrapups.after(row.agent_interface, row.queue, row.completed_at.timestamp())
        visit = VisitFacts(row.queue, row.joined, row.outcome, row.wait_s, row.talk_s, row.hold_s, wrapup)
        if interval is None:
            span: Span = (query.start, query.end)
        else:
            start = interval.floor(row.joined_at, zone)
            span = (start, interval.next(start, zone))
        buckets[(row.queue, span)].append(visit)

    spans: list[Span]
    if interval is None:
        spans = [(query.start, query.end)]
    elif query.start is not None and query.end is not None:
        end = query.end
        spans = [s for s in interval.span(query.start, end, zone) if s[0] < end]
    elif rows:
        spans = list(interval.span(rows[0].joined_at, rows[-1].joined_at, zone))
    else:
        spans = []

    out: list[dict[str, Any]] = []
    # Every queue Asterisk told us about is shown, with zeros if nobody called it.
    queues = {query.queue} if query.queue else {row.queue for row in rows} | set(levels)
    for queue in sorted(queues):
        level = levels.get(queue) or default_service_level_s
        for span in spans:
            metrics = QueueMetrics(queue, level)
            for visit in buckets.get((queue, span), ()):
                metrics.add(visit, short_abandon_s)
            out.append({"queue": queue, "interval_start": iso(span[0], zone), "interval_end": iso(span[1], zone), **metrics.as_dict()})
    return out
