"""What the live feed says about the tracker's facts (JSON-able dicts for the bus).

Call events name the moments a supervisor watches: a call started, a caller joined a
queue, was answered, abandoned or exited it, and a call ended.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from ami_bridge import facts as f
from core.times import from_epoch, iso


def call_events(server_id: str, facts: list[f.Fact], zone: tzinfo, received_at: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def event(name: str, at: float, **fields: Any) -> None:
        out.append({"type": "call", "server_id": server_id, "event": name, "at": iso(from_epoch(at), zone), "received_at": received_at, **fields})

    for fact in facts:
        if isinstance(fact, f.CallStarted):
            c = fact.call
            event("started", c.started_at, linkedid=c.linkedid, uniqueid=c.linkedid, queue=None, caller=c.caller_num, agent=None, disposition=None)
        elif isinstance(fact, f.CallerJoined):
            event("joined", fact.at, linkedid=fact.linkedid, uniqueid=fact.uniqueid, queue=fact.queue, caller=fact.caller_num, agent=None, disposition=None)
        elif isinstance(fact, f.AgentConnected):
            event("answered", fact.at, linkedid=fact.linkedid, uniqueid=fact.uniqueid, queue=fact.queue, caller=None, agent=fact.member_name, agent_interface=fact.interface, disposition=None)
        elif isinstance(fact, f.QueueVisitEnded) and fact.visit.outcome != "answered":
            v = fact.visit
            name = "abandoned" if v.outcome == "abandoned" else "exited"
            event(name, v.left_at or v.joined_at, linkedid=v.linkedid, uniqueid=v.uniqueid, queue=v.queue, caller=v.caller_num, agent=None, disposition=None, outcome=v.outcome)
        elif isinstance(fact, f.CallEnded):
            c = fact.call
            event("ended", c.ended_at or c.started_at, linkedid=c.linkedid, uniqueid=c.linkedid, queue=c.queue or None, caller=c.caller_num,
                  agent=c.agent_name or c.agent_interface or None, agent_interface=c.agent_interface or None, disposition=c.disposition)
    return out
