"""After-call work (wrap-up) of answered calls, for AHT.

A call's wrap-up is what was measured: a pause with a wrap-up reason
(``HOTLINE_WRAPUP_REASONS``) starting within ``GRACE_S`` of the call's end; else the
queue's ``wrapuptime`` (``HOTLINE_QUEUE_WRAPUP_S``) when the agent's next call came at
least that long after, which proves Asterisk held the agent back for it; else 0.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ami_bridge.models import AgentAttemptRow, AgentPause

#: A wrap-up pause must start this soon after the call it follows.
GRACE_S = 10.0


class WrapUps:
    def __init__(self, pauses: dict[str, list[tuple[float, float]]], next_calls: dict[str, list[float]], queue_wrapup_s: dict[str, float]) -> None:
        self._pauses = pauses
        self._next_calls = next_calls
        self._queue_wrapup_s = queue_wrapup_s

    @classmethod
    def load(
        cls, session: Session, *, start: datetime | None, server_id: str | None, reasons: list[str], queue_wrapup_s: dict[str, float]
    ) -> WrapUps:
        pauses: dict[str, list[tuple[float, float]]] = defaultdict(list)
        if reasons:
            statement = select(AgentPause.interface, AgentPause.started_at, AgentPause.ended_at).where(
                AgentPause.reason.in_(reasons), AgentPause.ended_at.is_not(None)
            )
            if start is not None:
                statement = statement.where(AgentPause.started_at >= start)
            if server_id is not None:
                statement = statement.where(AgentPause.server_id == server_id)
            for interface, started, ended in session.execute(statement):
                pauses[interface].append((started.timestamp(), (ended - started).total_seconds()))
        next_calls: dict[str, list[float]] = defaultdict(list)
        if queue_wrapup_s:
            statement = select(AgentAttemptRow.interface, AgentAttemptRow.called_at)
            if start is not None:
                statement = statement.where(AgentAttemptRow.called_at >= start)
            if server_id is not None:
                statement = statement.where(AgentAttemptRow.server_id == server_id)
            for interface, called in session.execute(statement):
                next_calls[interface].append(called.timestamp())
        for values in (*pauses.values(), *next_calls.values()):
            values.sort()
        return cls(pauses, next_calls, queue_wrapup_s)

    def after(self, interface: str, queue: str, completed: float) -> float:
        pauses = self._pauses.get(interface)
        if pauses:
            i = bisect.bisect_left(pauses, (completed, -1.0))
            if i < len(pauses) and pauses[i][0] - completed <= GRACE_S:
                return pauses[i][1]
        wrapuptime = self._queue_wrapup_s.get(queue, 0.0)
        calls = self._next_calls.get(interface)
        if wrapuptime and calls:
            i = bisect.bisect_right(calls, completed)
            if i < len(calls) and calls[i] - completed >= wrapuptime:
                return wrapuptime
        return 0.0
