"""Live queue state: who is waiting and what every agent is doing, kept in memory and
moved by the tracker's facts (pure code; the bridge owns one per PBX).

Agent status comes from queue events, not device state: with chan_sip and no
``call-limit`` Asterisk reports every phone as NOT_INUSE all the time, so
``AgentConnect``/``AgentComplete`` and ``QueueStatus``' ``InCall``/``Paused`` decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ami_bridge import facts as f

# Asterisk device states (``QueueMember``/``QueueMemberStatus`` ``Status``).
_UNAVAILABLE = {4, 5}  # INVALID, UNAVAILABLE
_BUSY = {2, 3, 7, 8}  # INUSE, BUSY, RINGINUSE, ONHOLD


@dataclass
class _Caller:
    uniqueid: str
    caller: str
    caller_name: str
    position: int
    joined_at: float


@dataclass
class _Member:
    name: str
    paused: bool = False
    paused_reason: str = ""
    device_status: int | None = None


@dataclass
class _Queue:
    callers: dict[str, _Caller] = field(default_factory=dict)
    members: dict[str, _Member] = field(default_factory=dict)


class LiveState:
    def __init__(self) -> None:
        self.queues: dict[str, _Queue] = {}
        self.in_call: dict[str, bool] = {}  # interface → talking to a queue caller
        self.ringing: dict[str, int] = {}  # interface → rings in progress
        self.changed = False

    def _queue(self, name: str) -> _Queue:
        queue = self.queues.get(name)
        if queue is None:
            queue = self.queues[name] = _Queue()
        return queue

    def apply(self, facts: list[f.Fact]) -> bool:
        """Move the state; return whether anything a supervisor sees changed."""
        changed = False
        for fact in facts:
            changed |= self._apply(fact)
        self.changed |= changed
        return changed

    def _apply(self, fact: f.Fact) -> bool:
        if isinstance(fact, f.CallerJoined):
            queue = self._queue(fact.queue)
            queue.callers[fact.uniqueid] = _Caller(fact.uniqueid, fact.caller_num, fact.caller_name, fact.position, fact.at)
        elif isinstance(fact, f.CallerLeft):
            queue = self._queue(fact.queue)
            gone = queue.callers.pop(fact.uniqueid, None)
            if gone is None:
                return False
            for caller in queue.callers.values():  # Asterisk moves everyone behind up one place
                if caller.position > gone.position:
                    caller.position -= 1
        elif isinstance(fact, f.AgentRinging):
            # A rung agent is a member even where no member event said so (chan_sip).
            self._queue(fact.queue).members.setdefault(fact.interface, _Member(fact.member_name))
            self.ringing[fact.interface] = self.ringing.get(fact.interface, 0) + 1
        elif isinstance(fact, f.AgentAttemptEnded):
            interface = fact.attempt.interface
            left = self.ringing.get(interface, 0) - 1
            if left > 0:
                self.ringing[interface] = left
            else:
                self.ringing.pop(interface, None)
        elif isinstance(fact, f.AgentConnected):
            self.in_call[fact.interface] = True
        elif isinstance(fact, f.AgentCompleted):
            self.in_call[fact.interface] = False
        elif isinstance(fact, f.MemberUpdated):
            member = self._queue(fact.queue).members.setdefault(fact.interface, _Member(fact.member_name))
            member.name = fact.member_name or member.name
            if fact.paused is not None:
                member.paused = fact.paused
                member.paused_reason = (fact.paused_reason or "") if fact.paused else ""
            if fact.status is not None:
                member.device_status = fact.status
            if fact.in_call is not None:
                self.in_call[fact.interface] = fact.in_call
        elif isinstance(fact, f.MemberRemoved):
            return self._queue(fact.queue).members.pop(fact.interface, None) is not None
        elif isinstance(fact, f.PbxRestarted):
            self.queues.clear()
            self.in_call.clear()
            self.ringing.clear()
        else:
            return False
        return True

    def agent_status(self, interface: str, member: _Member) -> str:
        if member.paused:
            return "paused"
        if self.in_call.get(interface):
            return "on_call"
        if self.ringing.get(interface):
            return "ringing"
        if member.device_status in _UNAVAILABLE:
            return "unavailable"
        if member.device_status in _BUSY:
            return "busy"
        return "available"

    def to_json(self) -> dict[str, Any]:
        """The state with absolute times, for the snapshot other processes read."""
        return {
            "queues": [
                {
                    "queue": name,
                    "callers": [
                        {"uniqueid": c.uniqueid, "position": c.position, "caller": c.caller, "caller_name": c.caller_name, "joined_at": c.joined_at}
                        for c in sorted(queue.callers.values(), key=lambda c: c.position)
                    ],
                    "agents": [
                        {"interface": interface, "name": m.name, "status": self.agent_status(interface, m), "paused_reason": m.paused_reason}
                        for interface, m in sorted(queue.members.items())
                    ],
                }
                for name, queue in sorted(self.queues.items())
            ]
        }


def render(state: dict[str, Any], now: float, *, server_id: str | None = None) -> list[dict[str, Any]]:
    """Per-queue live figures (``hotline queues live --json``) as of ``now``."""
    out = []
    for queue in state.get("queues", []):
        callers = [
            {"position": c["position"], "caller": c["caller"], "uniqueid": c["uniqueid"], "wait_s": round(max(0.0, now - c["joined_at"]), 1)}
            for c in queue["callers"]
        ]
        agents = queue["agents"]
        statuses = [a["status"] for a in agents]
        row: dict[str, Any] = {"queue": queue["queue"]}
        if server_id is not None:
            row["server_id"] = server_id
        row.update(
            {
                "callers_waiting": len(callers),
                "longest_wait_s": max((c["wait_s"] for c in callers), default=0.0),
                "callers": callers,
                "agents_logged_in": len(agents),
                "agents_available": statuses.count("available"),
                "agents_on_call": statuses.count("on_call"),
                "agents_ringing": statuses.count("ringing"),
                "agents_paused": statuses.count("paused"),
                "agents_unavailable": statuses.count("unavailable") + statuses.count("busy"),
                "agents": agents,
            }
        )
        out.append(row)
    return out
