"""Queue statistics per queue and interval, from the ``queue_calls`` facts."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ami_bridge.intervals import Interval
from ami_bridge.metrics import QueueMetrics, VisitFacts
from ami_bridge.models import AgentPause, QueueCall, QueueConfig
from core.times import iso

#: A wrap-up pause must start this soon after the call it follows.
WRAPUP_GRACE_S = 10.0


@dataclass(frozen=True)
class StatsQuery:
    start: datetime | None = None
    end: datetime | None = None
    interval: Interval | None = None
    queue: str | None = None
    server_id: str | None = None


def _service_levels(session: Session, server_id: str | None) -> dict[str, int]:
    statement = select(QueueConfig.name, QueueConfig.service_level_s).where(QueueConfig.service_level_s.is_not(None))
    if server_id is not None:
        statement = statement.where(QueueConfig.server_id == server_id)
    return {name: level for name, level in session.execute(statement) if level is not None}


def _wrapups(session: Session, query: StatsQuery, reasons: list[str]) -> dict[str, list[tuple[float, float]]]:
    """Wrap-up pauses (start, length) by agent interface, sorted by start."""
    if not reasons:
        return {}
    statement = select(AgentPause.interface, AgentPause.started_at, AgentPause.ended_at).where(AgentPause.reason.in_(reasons))
    if query.start is not None:
        statement = statement.where(AgentPause.started_at >= query.start)
    if query.server_id is not None:
        statement = statement.where(AgentPause.server_id == query.server_id)
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for interface, started, ended in session.execute(statement):
        if ended is not None:
            found[interface].append((started.timestamp(), (ended - started).total_seconds()))
    for pauses in found.values():
        pauses.sort()
    return found


def _wrapup_after(pauses: list[tuple[float, float]], completed: float) -> float:
    i = bisect.bisect_left(pauses, (completed, -1.0))
    if i < len(pauses) and pauses[i][0] - completed <= WRAPUP_GRACE_S:
        return pauses[i][1]
    return 0.0


def queue_stats(
    session: Session,
    query: StatsQuery,
    *,
    zone: tzinfo,
    short_abandon_s: float,
    default_service_level_s: int,
    wrapup_reasons: list[str],
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
    wrapups = _wrapups(session, query, wrapup_reasons)
    levels = _service_levels(session, query.server_id)

    Span = tuple[datetime | None, datetime | None]
    buckets: dict[tuple[str, Span], list[VisitFacts]] = defaultdict(list)
    interval = query.interval
    for row in rows:
        wrapup = 0.0
        if row.completed_at is not None and row.agent_interface in wrapups:
            wrapup = _wrapup_after(wrapups[row.agent_interface], row.completed_at.timestamp())
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
    for queue in sorted({row.queue for row in rows} | ({query.queue} if query.queue else set())):
        level = levels.get(queue, default_service_level_s)
        for span in spans:
            metrics = QueueMetrics(queue, level)
            for visit in buckets.get((queue, span), ()):
                metrics.add(visit, short_abandon_s)
            out.append({"queue": queue, "interval_start": iso(span[0], zone), "interval_end": iso(span[1], zone), **metrics.as_dict()})
    return out
