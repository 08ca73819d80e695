"""``hotline ivr stats``: where callers went and where they gave up, per node.

Per node of the flow file (including nodes nobody reached, so a dead branch shows as 0):
entries, exits per option (a menu's digits, a branch's case, a queue's outcome),
timeouts, invalid input and caller hang-ups. Counted over journeys that *started* in
[start, end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.times import iso
from ivr.flow import Flow, node_names
from ivr.models import Journey, JourneyStep

HANGUP = "caller_hangup"


@dataclass(frozen=True)
class JourneyStatsQuery:
    flow: str
    start: datetime | None = None
    end: datetime | None = None


def node_stats(session: Session, flow: Flow, query: JourneyStatsQuery, *, zone: tzinfo) -> list[dict[str, Any]]:
    statement = (
        select(JourneyStep.node, JourneyStep.outcome, func.count(), func.sum(JourneyStep.timeouts), func.sum(JourneyStep.invalid))
        .join(Journey, Journey.id == JourneyStep.journey_id)
        .where(Journey.flow == query.flow)
        .group_by(JourneyStep.node, JourneyStep.outcome)
    )
    if query.start is not None:
        statement = statement.where(Journey.started_at >= query.start)
    if query.end is not None:
        statement = statement.where(Journey.started_at < query.end)
    counts: dict[str, dict[str, Any]] = {}
    for node, outcome, count, timeouts, invalid in session.execute(statement):
        row = counts.setdefault(node, {"entries": 0, "exits": {}, "timeouts": 0, "invalid": 0, "hangups": 0})
        row["entries"] += count
        row["timeouts"] += int(timeouts or 0)
        row["invalid"] += int(invalid or 0)
        if outcome == HANGUP:
            row["hangups"] += count
        else:
            row["exits"][outcome] = row["exits"].get(outcome, 0) + count
    rows = []
    known = node_names(flow)
    # Nodes in the journeys but no longer in the file (an older version) still count.
    names = known + [(name, "") for name in sorted(counts) if name not in {n for n, _ in known}]
    for name, node_type in names:
        row = counts.get(name, {"entries": 0, "exits": {}, "timeouts": 0, "invalid": 0, "hangups": 0})
        rows.append({
            "flow": query.flow,
            "node": name,
            "type": node_type or None,
            "entries": row["entries"],
            "exits": dict(sorted(row["exits"].items())),
            "timeouts": row["timeouts"],
            "invalid": row["invalid"],
            "hangups": row["hangups"],
            "interval_start": iso(query.start, zone),
            "interval_end": iso(query.end, zone),
        })
    return rows
