"""The call log: listing calls and reading one call with its legs and timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ami_bridge.models import Call, CallEvent, CallLeg
from core.times import iso


@dataclass(frozen=True)
class CallQuery:
    since: datetime | None = None
    until: datetime | None = None
    queue: str | None = None
    agent: str | None = None  # member name or interface
    #: Only calls answered on one of these interfaces (an agent's own calls).
    agent_interfaces: tuple[str, ...] | None = None
    disposition: str | None = None
    caller: str | None = None
    server_id: str | None = None
    limit: int | None = None
    #: Cursor: calls started strictly after this (started_at, id).
    after: tuple[datetime, int] | None = None


def list_calls(session: Session, query: CallQuery) -> list[Call]:
    statement = select(Call).order_by(Call.started_at, Call.id)
    if query.since is not None:
        statement = statement.where(Call.started_at >= query.since)
    if query.until is not None:
        statement = statement.where(Call.started_at < query.until)
    if query.queue is not None:
        statement = statement.where(Call.queue == query.queue)
    if query.agent is not None:
        statement = statement.where((Call.agent_name == query.agent) | (Call.agent_interface == query.agent))
    if query.agent_interfaces is not None:
        statement = statement.where(Call.agent_interface.in_(query.agent_interfaces))
    if query.disposition is not None:
        statement = statement.where(Call.disposition == query.disposition)
    if query.caller is not None:
        statement = statement.where(Call.caller_num == query.caller)
    if query.server_id is not None:
        statement = statement.where(Call.server_id == query.server_id)
    if query.after is not None:
        started, call_id = query.after
        statement = statement.where((Call.started_at > started) | ((Call.started_at == started) & (Call.id > call_id)))
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return list(session.scalars(statement))


def call_to_dict(call: Call, zone: tzinfo) -> dict[str, Any]:
    """The documented JSON shape of a call (DESIGN.md, ``hotline calls list --json``)."""
    return {
        "linkedid": call.linkedid,
        "server_id": call.server_id,
        "direction": call.direction,
        "started_at": iso(call.started_at, zone),
        "answered_at": iso(call.answered_at, zone),
        "ended_at": iso(call.ended_at, zone),
        "caller": call.caller_num,
        "caller_name": call.caller_name,
        "dnis": call.dnis,
        "queue": call.queue or None,
        "agent": call.agent_name or call.agent_interface or None,
        "agent_interface": call.agent_interface or None,
        "disposition": call.disposition,
        "wait_s": None if call.wait_s is None else round(call.wait_s, 2),
        "talk_s": None if call.talk_s is None else round(call.talk_s, 2),
        "hold_s": round(call.hold_s, 2),
        "ivr_digits": call.ivr_digits,
        "transfers": call.transfers,
        "hangup_cause": call.hangup_cause,
        "task": call.task or None,
    }


def get_call(session: Session, server_id: str, linkedid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.server_id == server_id, Call.linkedid == linkedid))


def call_legs(session: Session, call: Call) -> list[CallLeg]:
    return list(
        session.scalars(select(CallLeg).where(CallLeg.server_id == call.server_id, CallLeg.linkedid == call.linkedid).order_by(CallLeg.created_at))
    )


def call_timeline(session: Session, call: Call) -> list[CallEvent]:
    return list(
        session.scalars(select(CallEvent).where(CallEvent.server_id == call.server_id, CallEvent.linkedid == call.linkedid).order_by(CallEvent.seq))
    )
