"""Per-agent statistics: calls handled, ring-no-answer, talk, AHT, paused time, occupancy.

Occupancy = talk ÷ (logged in − paused). An agent is logged in while a member of any
queue and paused while paused in any queue (the union of intervals, so an agent in two
queues is not counted twice).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ami_bridge.metrics import overlap_s
from ami_bridge.models import AgentAttemptRow, AgentLogin, AgentPause, Call, QueueCall
from ami_bridge.queries.wrapup import WrapUps


@dataclass(frozen=True)
class AgentStatsQuery:
    start: datetime | None = None
    end: datetime | None = None
    server_id: str | None = None


def _latest_fact_time(session: Session) -> datetime | None:
    return session.scalar(select(func.max(Call.ended_at)))


def agent_stats(session: Session, query: AgentStatsQuery, *, wrapup_reasons: list[str], queue_wrapup_s: dict[str, float]) -> list[dict[str, Any]]:
    def scoped(statement: Any, column: Any, server_column: Any) -> Any:
        if query.start is not None:
            statement = statement.where(column >= query.start)
        if query.end is not None:
            statement = statement.where(column < query.end)
        if query.server_id is not None:
            statement = statement.where(server_column == query.server_id)
        return statement

    handled = session.execute(
        scoped(
            select(QueueCall.agent_interface, QueueCall.agent_name, QueueCall.queue, QueueCall.talk_s, QueueCall.completed_at).where(
                QueueCall.outcome == "answered"
            ),
            QueueCall.connected_at,
            QueueCall.server_id,
        )
    ).all()
    attempts = session.execute(
        scoped(select(AgentAttemptRow.interface, AgentAttemptRow.member_name, AgentAttemptRow.outcome), AgentAttemptRow.called_at, AgentAttemptRow.server_id)
    ).all()
    logins = session.execute(select(AgentLogin.interface, AgentLogin.member_name, AgentLogin.started_at, AgentLogin.ended_at)).all()
    pauses = session.execute(select(AgentPause.interface, AgentPause.started_at, AgentPause.ended_at, AgentPause.reason)).all()

    end = query.end or _latest_fact_time(session) or datetime.now(timezone.utc)
    start = query.start or min((row.started_at for row in logins), default=end)
    t0, t1 = start.timestamp(), end.timestamp()

    names: dict[str, str] = {}
    agents: dict[str, dict[str, Any]] = defaultdict(lambda: {"calls_handled": 0, "ring_no_answer": 0, "talks": [], "completed": []})
    for row in handled:
        names[row.agent_interface] = row.agent_name
        entry = agents[row.agent_interface]
        entry["calls_handled"] += 1
        if row.talk_s is not None:
            entry["talks"].append(row.talk_s)
            if row.completed_at is not None:
                entry["completed"].append((row.queue, row.completed_at.timestamp(), row.talk_s))
    for row in attempts:
        names.setdefault(row.interface, row.member_name)
        if row.outcome == "no_answer":
            agents[row.interface]["ring_no_answer"] += 1
    login_spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in logins:
        names.setdefault(row.interface, row.member_name)
        login_spans[row.interface].append((row.started_at.timestamp(), (row.ended_at or end).timestamp()))
        agents[row.interface]  # every logged-in agent gets a row, even with no calls
    pause_spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    pause_by_reason: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for row in pauses:
        span = (row.started_at.timestamp(), (row.ended_at or end).timestamp())
        pause_spans[row.interface].append(span)
        pause_by_reason[row.interface][row.reason or ""].append(span)
    wrapups = WrapUps.load(session, start=query.start, server_id=query.server_id, reasons=wrapup_reasons, queue_wrapup_s=queue_wrapup_s)

    out = []
    for interface in sorted(agents):
        entry = agents[interface]
        talks: list[float] = entry["talks"]
        handle_times = [talk + wrapups.after(interface, queue, completed) for queue, completed, talk in entry["completed"]]
        logged_in = overlap_s(login_spans.get(interface, []), t0, t1)
        paused = overlap_s(pause_spans.get(interface, []), t0, t1)
        available = logged_in - paused
        talk_total = sum(talks)
        out.append(
            {
                "interface": interface,
                "name": names.get(interface, ""),
                "calls_handled": entry["calls_handled"],
                "ring_no_answer": entry["ring_no_answer"],
                "talk_s": round(talk_total, 2),
                "aht_s": round(sum(handle_times) / len(handle_times), 2) if handle_times else None,
                "logged_in_s": round(logged_in, 1),
                "paused_s": round(paused, 1),
                "paused_by_reason": {r: round(overlap_s(s, t0, t1), 1) for r, s in sorted(pause_by_reason.get(interface, {}).items())},
                "occupancy": round(100.0 * talk_total / available, 2) if available > 0 else None,
            }
        )
    return out
