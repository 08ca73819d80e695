"""A call as the command line, the API and the pages show it: the call log row with its
legs and timeline (composed here, in api, from the ami_bridge queries)."""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo
from typing import Any

from sqlalchemy.orm import Session

from ami_bridge.models import Call
from ami_bridge.queries.calls import CallQuery, call_legs, call_timeline, call_to_dict, list_calls
from core.times import iso
from ivr.journeys import call_path
from core.users import Role


def call_detail(session: Session, call: Call, zone: tzinfo) -> tuple[dict[str, Any], set[str]]:
    """``hotline calls show --json`` and the personal numbers that appear in it."""
    legs = call_legs(session, call)
    timeline = call_timeline(session, call)
    detail = call_to_dict(call, zone)
    detail["legs"] = [
        {"uniqueid": l.uniqueid, "channel": l.channel, "role": l.role, "created_at": iso(l.created_at, zone), "ended_at": iso(l.ended_at, zone), "cause": l.cause, "cause_txt": l.cause_txt}
        for l in legs
    ]
    detail["timeline"] = [{"at": iso(e.at, zone), "event": e.kind, "uniqueid": e.uniqueid, **e.data} for e in timeline]
    detail["ivr_path"] = [
        {"at": iso(step.entered_at, zone), "node": step.node, "type": step.type, "digits": step.digits, "outcome": step.outcome,
         "timeouts": step.timeouts, "invalid": step.invalid}
        for step in call_path(session, call.server_id, call.linkedid)
    ]
    numbers = call_numbers(call)
    numbers.update(l.caller_num for l in legs if l.caller_num)
    for entry in timeline:
        for key in ("caller", "to"):
            value = entry.data.get(key)
            if isinstance(value, str) and value:
                numbers.add(value.rpartition("/")[2].partition("@")[0])
    return detail, numbers


def call_numbers(call: Call) -> set[str]:
    numbers = {call.caller_num} if call.caller_num else set()
    if call.direction == "outbound" and call.dnis:
        numbers.add(call.dnis)
    return numbers


def agent_calls(session: Session, query: CallQuery, interfaces: tuple[str, ...]) -> list[Call]:
    """An agent's own calls: those answered on one of its interfaces."""
    if query.agent is not None and query.agent not in interfaces:
        return []
    return list_calls(session, replace(query, agent_interfaces=interfaces))


def may_see(role: Role, interfaces: tuple[str, ...], call: Call) -> bool:
    """Agents see only the calls answered on their interfaces; other roles see every call."""
    return role is not Role.AGENT or call.agent_interface in interfaces
