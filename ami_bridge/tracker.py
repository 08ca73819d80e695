"""The call tracker: AMI messages in, facts out. No socket, no database, no wall clock.

Theory of operation
===================
Asterisk describes a call as channels (legs, keyed by ``Uniqueid``) that share a
``Linkedid``. The tracker keeps the state of every open call and emits facts
(``facts.py``) as the call moves on. It is fed every message with its event time
(``event_time.py`` decides that time) and never looks at the clock itself, so a live
bridge, a replay, a rebuild from the journal and a benchmark all give the same facts.

States
------
* **Leg**: created (``Newchannel``) → answered (``Newstate`` Up / bridged) → ended
  (``Hangup``). A leg's role is *caller* (first leg of an inbound call), *agent* (rung by
  a queue or the originated side of a callback), *customer* (the party a callback
  dials) or *other*.
* **Call**: open from its first leg's ``Newchannel`` until **every** leg has hung up.
  Neither the first ``Hangup`` nor a ``Cdr`` closes it (Asterisk 22 sends ``Cdr`` before
  ``AgentComplete`` and sometimes before the caller's ``Hangup``).
* **Queue visit** (one caller channel in one queue): waiting (``QueueCallerJoin``) →
  connected (``AgentConnect``) → completed (``AgentComplete``); or waiting → left
  (``QueueCallerLeave``) → resolved. A leave alone does not say why: ``AgentConnect``
  arrives just *after* the leave, ``QUEUESTATUS`` (``VarSet``) just after that, and
  Asterisk 22 sends ``QueueCallerAbandon`` for timeouts and empty queues as well as
  for hang-ups. So a left visit stays *pending* until one of: ``AgentConnect``
  (answered), ``QUEUESTATUS`` (TIMEOUT → timeout, LEAVEEMPTY/JOINEMPTY → empty, FULL →
  full, JOINUNAVAIL/LEAVEUNAVAIL → unavailable), the caller's next dialplan step
  (``Newexten``) or hang-up, or ``PENDING_VISIT_S`` of event time passing; then an
  abandon seen means *abandoned*, a digit pressed while waiting means *exit_key*,
  anything else *other*.
* **Agent attempt**: ``AgentCalled`` → ``AgentRingNoAnswer`` (no_answer) |
  ``AgentConnect`` (connected) | the agent leg's ``Hangup`` (canceled).
* **Member** (interface in a queue): logged in (static members from ``QueueStatus``'s
  ``LoginTime``, dynamic ones from ``QueueMemberAdded``) and paused with a reason;
  a new reason while paused closes one pause and opens the next, as ``queue_log`` does.

The transitions are the table ``CallTracker._HANDLERS`` (event name → handler).
Every other event is skipped after reading its name; ``VarSet`` and ``Newexten`` are
filtered on their bytes first because they are most of the traffic.

Resync
------
After every (re)connect the bridge asks for ``CoreShowChannels`` and ``QueueStatus``.
Their list events go through the same table: a channel the tracker does not know
becomes a leg (its start taken from ``Duration``), a known leg missing from a complete
list ended while nobody listened; ``QueueEntry``/``QueueMember`` do the same for
waiting callers and members. A PBX restart shows as ``FullyBooted``'s ``Uptime`` going
down: everything open is closed at that moment.

Dispositions
------------
=================================================================  ============
the call…                                                           disposition
=================================================================  ============
was originated by the PBX (Originate, callback) and then talked     outbound
was originated by the PBX and never talked (no answer, busy)        failed
reached an agent (``AgentConnect``) or talked to a non-IVR party    answered
waited in a queue and the caller hung up there (last visit)          abandoned
left a queue by timeout, exit key or empty queue, or could not join  exited
dialled a party directly (not a queue) that never answered          failed
stayed in the IVR (menus, AGI, an IVR endpoint) and ended           ivr_only
=================================================================  ============

Talk time of a call is ``AgentComplete``'s ``TalkTime`` for queue connections plus the
measured bridged time outside them (after a transfer, outbound calls). It includes
time on hold, as Asterisk's ``TalkTime`` does; ``hold_s`` is reported beside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from ami_bridge import facts as f
from ami_bridge.message import Message

#: How long (event time) a left queue visit may wait for the events that explain it,
#: when the caller neither moves on in the dialplan nor hangs up.
PENDING_VISIT_S = 10.0

_QUEUESTATUS_OUTCOMES: dict[str, f.VisitOutcome] = {
    "TIMEOUT": "timeout",
    "LEAVEEMPTY": "empty",
    "JOINEMPTY": "empty",
    "FULL": "full",
    "JOINUNAVAIL": "unavailable",
    "LEAVEUNAVAIL": "unavailable",
}
_JOIN_FAILURES = frozenset({"JOINEMPTY", "FULL", "JOINUNAVAIL"})


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def _duration_s(text: str | None) -> float:
    """``CoreShowChannel``'s ``Duration`` (``HH:MM:SS``) in seconds."""
    if not text:
        return 0.0
    total = 0
    for part in text.split(":"):
        total = total * 60 + _int(part)
    return float(total)


@dataclass(slots=True)
class _LegState:
    leg: f.Leg
    visits: int = 0
    originated: bool = False
    pending_queue: str = ""
    hold_since: float | None = None
    talk_since: float | None = None  # customer leg bridged with a person, outside a queue connection
    bridge: str = ""


@dataclass(slots=True)
class _CallState:
    record: f.CallRecord
    legs: dict[str, f.Leg] = field(default_factory=dict)
    open_legs: set[str] = field(default_factory=set)
    timeline: list[f.TimelineEntry] = field(default_factory=list)
    visits: list[f.QueueVisit] = field(default_factory=list)
    customer: str = ""  # uniqueid of the leg that is the outside party
    queue_connected: bool = False
    direct_talk_s: float = 0.0
    talked: bool = False
    dialled_directly: bool = False


@dataclass(slots=True)
class _Member:
    name: str
    login: f.LoginRecord | None = None
    pause: f.PauseRecord | None = None


class CallTracker:
    def __init__(self, *, ivr_endpoints: frozenset[str] = frozenset(), uptime_s: int | None = None) -> None:
        #: Endpoint names (``ivr`` for ``SIP/ivr``) whose answer is an IVR, not a person.
        self.ivr_endpoints = ivr_endpoints
        self._uptime = uptime_s
        self._legs: dict[str, _LegState] = {}
        self._calls: dict[str, _CallState] = {}
        self._visits: dict[str, f.QueueVisit] = {}  # open visit by caller uniqueid
        self._pending: list[f.QueueVisit] = []  # left, outcome not yet known
        self._attempts: dict[str, f.AgentAttempt] = {}  # by agent leg uniqueid
        self._bridges: dict[str, set[str]] = {}
        self._members: dict[tuple[str, str], _Member] = {}
        self._agent_names: dict[str, str] = {}
        self._listed_channels: set[str] | None = None
        self._channels_before_listing: set[str] = set()
        self._listed_queues: dict[str, tuple[set[str], set[str]]] = {}  # queue → (members, entries)
        self._out: list[f.Fact] = []
        self._at = 0.0
        self._previous_at = 0.0  # time of the message before this one

    # -- public ---------------------------------------------------------------------------
    def feed(self, message: Message, at: float) -> list[f.Fact]:
        """Interpret one message that happened at ``at``; return the facts it produced."""
        self._previous_at, self._at = self._at, at
        out = self._out = []
        if self._pending:
            self._expire_pending(at)
        if not message.is_event:
            return out
        handler = self._HANDLERS.get(message.name)
        if handler is not None:
            handler(self, message)
        return out

    @property
    def open_calls(self) -> int:
        return len(self._calls)

    def oldest_open_call_at(self) -> float | None:
        return min((c.record.started_at for c in self._calls.values()), default=None)

    @property
    def uptime_s(self) -> int | None:
        """The PBX's uptime at its last login, to tell a restart apart."""
        return self._uptime

    def restore_member(self, queue: str, interface: str, name: str, login: f.LoginRecord | None, pause: f.PauseRecord | None) -> None:
        """Take back a member's open login and pause from the database (a bridge restart),
        so that their end updates the stored rows instead of starting new ones."""
        member = self._member(queue, interface, name)
        member.login = member.login or login
        member.pause = member.pause or pause

    def sizes(self) -> dict[str, int]:
        """How much state is held; flat when calls complete (checked by the benchmark)."""
        return {
            "legs": len(self._legs),
            "calls": len(self._calls),
            "visits": len(self._visits),
            "pending": len(self._pending),
            "attempts": len(self._attempts),
            "bridges": len(self._bridges),
            "members": len(self._members),
        }

    # -- helpers --------------------------------------------------------------------------
    def _emit(self, fact: f.Fact) -> None:
        self._out.append(fact)

    def _note(self, call: _CallState, kind: str, uniqueid: str, **data: object) -> None:
        call.timeline.append(f.TimelineEntry(self._at, kind, uniqueid, {k: v for k, v in data.items() if v not in (None, "")}))

    def _leg_of(self, m: Message, prefix: str = "") -> _LegState | None:
        uniqueid = m.get(prefix + "Uniqueid")
        if uniqueid is None:
            return None
        state = self._legs.get(uniqueid)
        if state is None and m.get(prefix + "Channel"):
            # A leg we never saw created (the bridge started mid-call): adopt it.
            state = self._open_leg(m, prefix, note="first seen mid-call")
        return state

    def _call_of(self, state: _LegState) -> _CallState:
        return self._calls[state.leg.linkedid]

    def _open_leg(self, m: Message, prefix: str = "", *, created_at: float | None = None, note: str = "") -> _LegState:
        uniqueid = m.get(prefix + "Uniqueid") or ""
        linkedid = m.get(prefix + "Linkedid") or uniqueid
        leg = f.Leg(
            uniqueid=uniqueid,
            linkedid=linkedid,
            channel=m.get(prefix + "Channel") or "",
            created_at=self._at if created_at is None else created_at,
            caller_num=m.get(prefix + "CallerIDNum") or "",
            caller_name=m.get(prefix + "CallerIDName") or "",
        )
        state = self._legs[uniqueid] = _LegState(leg)
        call = self._calls.get(linkedid)
        if call is None:
            record = f.CallRecord(linkedid=linkedid, started_at=leg.created_at, dnis=m.get(prefix + "Exten") or "", note=note)
            call = self._calls[linkedid] = _CallState(record)
            leg.role = "caller"
            call.customer = uniqueid
            self._set_caller(call, leg)
            self._note(call, "call_started", uniqueid, channel=leg.channel, caller=leg.caller_num, exten=record.dnis)
            self._emit(f.CallStarted(dataclasses.replace(record)))
        call.legs[uniqueid] = leg
        call.open_legs.add(uniqueid)
        return state

    @staticmethod
    def _set_caller(call: _CallState, leg: f.Leg) -> None:
        num = leg.caller_num
        if num and not num.startswith("<"):
            call.record.caller_num = num
            if leg.caller_name and not leg.caller_name.startswith("<"):
                call.record.caller_name = leg.caller_name

    def _is_ivr(self, leg: f.Leg) -> bool:
        return leg.interface.partition("/")[2] in self.ivr_endpoints

    # -- channels -------------------------------------------------------------------------
    def _on_newchannel(self, m: Message) -> None:
        uniqueid = m.get("Uniqueid")
        if uniqueid and uniqueid not in self._legs:
            self._open_leg(m)

    def _on_newcallerid(self, m: Message) -> None:
        state = self._legs.get(m.get("Uniqueid") or "")
        if state is None:
            return
        state.leg.caller_num = m.get("CallerIDNum") or state.leg.caller_num
        state.leg.caller_name = m.get("CallerIDName") or state.leg.caller_name
        call = self._call_of(state)
        if call.customer == state.leg.uniqueid:
            self._set_caller(call, state.leg)

    def _on_newstate(self, m: Message) -> None:
        state = self._legs.get(m.get("Uniqueid") or "")
        if state is not None and m.get("ChannelState") == "6" and state.leg.answered_at is None:
            state.leg.answered_at = self._at

    def _on_dtmf_end(self, m: Message) -> None:
        state = self._legs.get(m.get("Uniqueid") or "")
        if state is None or m.get("Direction") not in (None, "Received"):
            return
        call = self._call_of(state)
        digit = m.get("Digit") or ""
        if call.customer != state.leg.uniqueid or state.bridge:
            return  # digits during a conversation are not IVR input
        call.record.ivr_digits += digit
        self._note(call, "digit", state.leg.uniqueid, digit=digit)
        visit = self._visits.get(state.leg.uniqueid)
        if visit is not None and visit.connected_at is None:
            visit.exit_digit = digit

    def _on_varset(self, m: Message) -> None:
        raw = m.raw
        if b"Variable: QUEUESTATUS\r" in raw:
            self._on_queuestatus(m)
        elif b"Variable: HOTLINE_TASK\r" in raw:
            state = self._legs.get(m.get("Uniqueid") or "")
            value = m.get("Value") or ""
            if state is not None and value:
                call = self._call_of(state)
                if not call.record.task or call.record.task.startswith("inbound-"):
                    call.record.task = value

    def _on_newexten(self, m: Message) -> None:
        if self._pending:
            # The caller moved on in the dialplan: whatever explains the leave has come.
            uniqueid = m.get("Uniqueid")
            for visit in [v for v in self._pending if v.uniqueid == uniqueid]:
                self._resolve(visit)
        if b"\nApplication: Queue\r" not in m.raw:
            return
        state = self._legs.get(m.get("Uniqueid") or "")
        if state is not None:
            state.pending_queue = (m.get("AppData") or "").split(",", 1)[0]

    def _on_dial_begin(self, m: Message) -> None:
        dest = self._legs.get(m.get("DestUniqueid") or "")
        if dest is None:
            return
        if m.get("Channel") is None:
            # Nobody dialled this leg: the PBX originated it (AMI Originate, a callback).
            dest.originated = True
            call = self._call_of(dest)
            if next(iter(call.legs)) == dest.leg.uniqueid:
                call.record.direction = "outbound"
                call.customer = dest.leg.uniqueid
                call.record.caller_num = ""
                call.record.caller_name = ""
            return
        source = self._legs.get(m.get("Uniqueid") or "")
        if source is None:
            return
        call = self._call_of(source)
        if source.originated and call.customer == source.leg.uniqueid and dest.leg.role == "other":
            # A callback: the originated leg is the agent, the leg it dials is the customer.
            source.leg.role = "agent"
            call.record.agent_interface = source.leg.interface
            call.record.agent_name = self._agent_names.get(source.leg.interface, "")
            dest.leg.role = "customer"
            call.customer = dest.leg.uniqueid
            call.record.caller_num = m.get("DestCallerIDNum") or m.get("DestExten") or ""
            if call.record.caller_num.startswith("<"):
                call.record.caller_num = m.get("DestExten") or ""
            self._note(call, "dial", source.leg.uniqueid, to=call.record.caller_num, channel=dest.leg.channel)
        elif source.leg.uniqueid == call.customer and dest.leg.uniqueid not in self._attempts and not self._is_ivr(dest.leg):
            call.dialled_directly = True
            self._note(call, "dial", source.leg.uniqueid, to=m.get("DialString"), channel=dest.leg.channel)

    def _on_dial_end(self, m: Message) -> None:
        source = self._legs.get(m.get("Uniqueid") or "")
        dest_id = m.get("DestUniqueid") or ""
        if source is None or dest_id in self._attempts:
            return
        status = m.get("DialStatus") or ""
        if status and status != "ANSWER" and source.leg.uniqueid == self._call_of(source).customer:
            self._note(self._call_of(source), "dial_end", source.leg.uniqueid, status=status)

    def _on_originate_response(self, m: Message) -> None:
        state = self._legs.get(m.get("Uniqueid") or "")
        if state is None:
            wanted = m.get("Channel") or ""
            state = next(
                (s for s in self._legs.values() if s.originated and s.leg.interface == wanted and s.leg.ended_at is None),
                None,
            )
        if state is None:
            return
        call = self._call_of(state)
        if not call.record.caller_num:
            call.record.caller_num = m.get("Exten") or ""
        self._note(call, "originate", state.leg.uniqueid, result=m.get("Response"), reason=m.get("Reason"), action_id=m.get("ActionID"))

    def _on_hold(self, m: Message) -> None:
        state = self._leg_of(m)
        if state is not None and state.hold_since is None:
            state.hold_since = self._at
            self._note(self._call_of(state), "hold", state.leg.uniqueid)

    def _on_unhold(self, m: Message) -> None:
        state = self._legs.get(m.get("Uniqueid") or "")
        if state is not None and state.hold_since is not None:
            self._end_hold(state)
            self._note(self._call_of(state), "unhold", state.leg.uniqueid)

    def _end_hold(self, state: _LegState) -> None:
        assert state.hold_since is not None
        held = self._at - state.hold_since
        state.hold_since = None
        call = self._call_of(state)
        call.record.hold_s += held
        for visit in call.visits:
            if visit.connected_at is not None and visit.completed_at is None:
                visit.hold_s += held

    # -- bridges and talk -----------------------------------------------------------------
    def _on_bridge_enter(self, m: Message) -> None:
        state = self._leg_of(m)
        bridge_id = m.get("BridgeUniqueid") or ""
        if state is None or not bridge_id:
            return
        self._enter_bridge(state, bridge_id)

    def _enter_bridge(self, state: _LegState, bridge_id: str) -> None:
        members = self._bridges.setdefault(bridge_id, set())
        members.add(state.leg.uniqueid)
        state.bridge = bridge_id
        for uniqueid in members:
            member = self._legs.get(uniqueid)
            if member is not None:
                self._update_talk(member)

    def _on_bridge_leave(self, m: Message) -> None:
        state = self._legs.get(m.get("Uniqueid") or "")
        if state is not None:
            self._leave_bridge(state)

    def _leave_bridge(self, state: _LegState) -> None:
        bridge_id, state.bridge = state.bridge, ""
        self._update_talk(state)
        members = self._bridges.get(bridge_id)
        if members is None:
            return
        members.discard(state.leg.uniqueid)
        for uniqueid in members:
            member = self._legs.get(uniqueid)
            if member is not None:
                self._update_talk(member)
        if not members:
            del self._bridges[bridge_id]

    def _on_bridge_destroy(self, m: Message) -> None:
        self._bridges.pop(m.get("BridgeUniqueid") or "", None)

    def _update_talk(self, state: _LegState) -> None:
        """Start or stop the customer leg's talk outside queue connections."""
        call = self._calls.get(state.leg.linkedid)
        if call is None or call.customer != state.leg.uniqueid:
            return
        others = [self._legs[u].leg for u in self._bridges.get(state.bridge, ()) if u != state.leg.uniqueid and u in self._legs]
        talking = any(not self._is_ivr(o) for o in others)
        if talking and state.talk_since is None:
            if state.leg.answered_at is None:
                state.leg.answered_at = self._at
            if not call.queue_connected:
                state.talk_since = self._at
                call.talked = True
                if call.record.answered_at is None:
                    call.record.answered_at = self._at
                self._note(call, "talk_started", state.leg.uniqueid, peer=", ".join(o.channel for o in others))
        elif not talking and state.talk_since is not None:
            call.direct_talk_s += self._at - state.talk_since
            state.talk_since = None

    def _on_blind_transfer(self, m: Message) -> None:
        if m.get("Result") not in (None, "Success"):
            return
        call = self._calls.get(m.get("TransfererLinkedid") or m.get("TransfereeLinkedid") or "")
        if call is not None:
            call.record.transfers += 1
            self._note(call, "transfer", m.get("TransfererUniqueid") or "", how="blind", to=m.get("Extension"), context=m.get("Context"))

    def _on_attended_transfer(self, m: Message) -> None:
        if m.get("Result") not in (None, "Success"):
            return
        call = self._calls.get(m.get("OrigTransfererLinkedid") or m.get("TransfereeLinkedid") or "")
        if call is not None:
            call.record.transfers += 1
            target = m.get("TransferTargetChannel") or m.get("SecondTransfererChannel")
            self._note(call, "transfer", m.get("OrigTransfererUniqueid") or "", how="attended", to=target, dest_type=m.get("DestType"))

    # -- queues ---------------------------------------------------------------------------
    def _on_queue_caller_join(self, m: Message) -> None:
        state = self._leg_of(m)
        if state is None:
            return
        self._join(state, m.get("Queue") or "", _int(m.get("Position"), 1), self._at)

    def _join(self, state: _LegState, queue: str, position: int, joined_at: float) -> f.QueueVisit:
        previous = self._visits.get(state.leg.uniqueid)
        if previous is not None:
            self._resolve(previous)
        call = self._call_of(state)
        state.visits += 1
        state.pending_queue = ""
        visit = f.QueueVisit(
            uniqueid=state.leg.uniqueid,
            linkedid=state.leg.linkedid,
            visit=state.visits,
            queue=queue,
            caller_num=call.record.caller_num or state.leg.caller_num,
            caller_name=call.record.caller_name or state.leg.caller_name,
            joined_at=joined_at,
            position=position,
        )
        self._visits[state.leg.uniqueid] = visit
        call.visits.append(visit)
        call.record.queue = queue
        self._note(call, "queue_joined", state.leg.uniqueid, queue=queue, position=position)
        self._emit(f.CallerJoined(joined_at, queue, state.leg.uniqueid, state.leg.linkedid, visit.caller_num, visit.caller_name, position))
        return visit

    def _on_queue_caller_abandon(self, m: Message) -> None:
        visit = self._visits.get(m.get("Uniqueid") or "")
        if visit is not None and visit.connected_at is None:
            visit.abandon_seen = True
            visit.wait_s = float(_int(m.get("HoldTime")))

    def _on_queue_caller_leave(self, m: Message) -> None:
        visit = self._visits.get(m.get("Uniqueid") or "")
        if visit is None or visit.left_at is not None:
            return
        visit.left_at = self._at
        self._emit(f.CallerLeft(self._at, visit.queue, visit.uniqueid))
        if visit.connected_at is None:
            self._pending.append(visit)

    def _on_queuestatus(self, m: Message) -> None:
        status = m.get("Value") or ""
        uniqueid = m.get("Uniqueid") or ""
        visit = self._visits.get(uniqueid)
        if visit is not None and visit.left_at is not None and visit.connected_at is None:
            if status in _QUEUESTATUS_OUTCOMES:
                visit.outcome = _QUEUESTATUS_OUTCOMES[status]
            self._resolve(visit)
            return
        state = self._legs.get(uniqueid)
        if status in _JOIN_FAILURES and state is not None and state.pending_queue:
            # The caller never got in: no QueueCallerJoin, only this variable.
            failed = self._join(state, state.pending_queue, 0, self._at)
            failed.joined = False
            failed.left_at = self._at
            failed.outcome = _QUEUESTATUS_OUTCOMES[status]
            self._emit(f.CallerLeft(self._at, failed.queue, uniqueid))
            self._resolve(failed)

    def _expire_pending(self, at: float) -> None:
        for visit in [v for v in self._pending if v.left_at is not None and at - v.left_at > PENDING_VISIT_S]:
            self._resolve(visit)

    def _resolve(self, visit: f.QueueVisit) -> None:
        """Give a visit that is over its outcome, and report it."""
        if visit in self._pending:
            self._pending.remove(visit)
        if self._visits.get(visit.uniqueid) is visit:
            del self._visits[visit.uniqueid]
        if visit.left_at is None:
            visit.left_at = self._at
            self._emit(f.CallerLeft(self._at, visit.queue, visit.uniqueid))
        if visit.outcome is None:
            if visit.abandon_seen:
                visit.outcome = "abandoned"
            elif visit.exit_digit:
                visit.outcome = "exit_key"
            else:
                visit.outcome = "other"
        if visit.outcome != "exit_key":
            visit.exit_digit = ""
        if visit.wait_s is None:
            visit.wait_s = round(max(0.0, visit.left_at - visit.joined_at), 3)
        call = self._calls.get(visit.linkedid)
        if call is not None:
            self._note(call, "queue_left", visit.uniqueid, queue=visit.queue, outcome=visit.outcome, wait_s=visit.wait_s, digit=visit.exit_digit)
        self._emit(f.QueueVisitEnded(visit))

    def _on_agent_called(self, m: Message) -> None:
        agent_id = m.get("DestUniqueid") or ""
        interface = m.get("Interface") or ""
        name = m.get("MemberName") or interface
        self._agent_names[interface] = name
        visit = self._visits.get(m.get("Uniqueid") or "")
        agent = self._legs.get(agent_id)
        if visit is None or not agent_id:
            return
        if agent is not None:
            agent.leg.role = "agent"
        visit.rings += 1
        self._attempts[agent_id] = f.AgentAttempt(agent_id, visit.uniqueid, visit.linkedid, visit.queue, interface, name, self._at)
        self._note(self._calls[visit.linkedid], "agent_ringing", visit.uniqueid, queue=visit.queue, agent=name, interface=interface)
        self._emit(f.AgentRinging(self._at, visit.queue, interface, name, visit.uniqueid))

    def _end_attempt(self, attempt: f.AgentAttempt, outcome: str, ring_s: float | None = None) -> None:
        del self._attempts[attempt.agent_uniqueid]
        attempt.ended_at = self._at
        attempt.outcome = outcome  # type: ignore[assignment]
        attempt.ring_s = ring_s if ring_s is not None else self._at - attempt.called_at
        self._emit(f.AgentAttemptEnded(attempt))

    def _on_agent_ring_no_answer(self, m: Message) -> None:
        attempt = self._attempts.get(m.get("DestUniqueid") or "")
        if attempt is None:
            return
        visit = self._visits.get(attempt.uniqueid)
        if visit is not None:
            visit.ring_no_answers += 1
        call = self._calls.get(attempt.linkedid)
        if call is not None:
            self._note(call, "agent_no_answer", attempt.uniqueid, agent=attempt.member_name, ring_s=_int(m.get("RingTime")) / 1000)
        self._end_attempt(attempt, "no_answer", _int(m.get("RingTime")) / 1000)

    def _on_agent_connect(self, m: Message) -> None:
        uniqueid = m.get("Uniqueid") or ""
        visit = self._visits.get(uniqueid)
        state = self._legs.get(uniqueid)
        if visit is None or state is None:
            return
        if visit in self._pending:
            self._pending.remove(visit)
        interface = m.get("Interface") or ""
        name = m.get("MemberName") or interface
        visit.outcome = "answered"
        visit.connected_at = self._at
        visit.left_at = visit.left_at or self._at
        visit.wait_s = float(_int(m.get("HoldTime")))
        visit.agent_interface = interface
        visit.agent_name = name
        attempt = self._attempts.get(m.get("DestUniqueid") or "")
        if attempt is not None:
            self._end_attempt(attempt, "connected", float(_int(m.get("RingTime"))))
        call = self._call_of(state)
        call.queue_connected = True
        if state.talk_since is not None:  # bridged a moment before: that is queue talk
            state.talk_since = None
        call.record.answered_at = call.record.answered_at or self._at
        call.record.queue = visit.queue
        call.record.agent_interface = interface
        call.record.agent_name = name
        self._note(call, "agent_connected", uniqueid, queue=visit.queue, agent=name, interface=interface, wait_s=visit.wait_s)
        self._emit(f.AgentConnected(self._at, visit.queue, interface, name, uniqueid, visit.linkedid, visit.wait_s))

    def _on_agent_complete(self, m: Message) -> None:
        uniqueid = m.get("Uniqueid") or ""
        visit = self._visits.get(uniqueid)
        if visit is None or visit.connected_at is None:
            return
        del self._visits[uniqueid]
        call = self._calls.get(visit.linkedid)
        if call is not None:
            # A hold still open when the agent's connection ends (a transfer) ends with it.
            for leg_id in list(call.open_legs):
                state = self._legs.get(leg_id)
                if state is not None and state.hold_since is not None:
                    self._end_hold(state)
        visit.completed_at = self._at
        visit.talk_s = float(_int(m.get("TalkTime")))
        visit.complete_reason = m.get("Reason") or ""
        if call is not None:
            call.queue_connected = False
            self._note(call, "agent_completed", uniqueid, agent=visit.agent_name, talk_s=visit.talk_s, reason=visit.complete_reason)
        self._emit(f.AgentCompleted(self._at, visit.queue, visit.agent_interface, visit.agent_name, uniqueid, visit.linkedid, visit.talk_s, visit.complete_reason))
        self._emit(f.QueueVisitEnded(visit))

    # -- members --------------------------------------------------------------------------
    def _member(self, queue: str, interface: str, name: str) -> _Member:
        member = self._members.get((queue, interface))
        if member is None:
            member = self._members[(queue, interface)] = _Member(name)
        if name:
            member.name = name
            self._agent_names[interface] = name
        return member

    def _login(self, queue: str, interface: str, member: _Member, since: float) -> None:
        if member.login is None:
            member.login = f.LoginRecord(queue, interface, member.name, since)
            self._emit(f.LoginStarted(member.login))

    def _set_pause(self, queue: str, interface: str, member: _Member, paused: bool, reason: str, since: float) -> None:
        pause = member.pause
        if pause is not None and (not paused or pause.reason != reason):
            pause.ended_at = self._at
            member.pause = None
            self._emit(f.PauseEnded(pause))
        if paused and member.pause is None:
            member.pause = f.PauseRecord(queue, interface, member.name, since, reason)
            self._emit(f.PauseStarted(member.pause))

    def _member_event(self, m: Message, *, since: float | None = None, pause_since: float | None = None) -> tuple[str, str, _Member] | None:
        queue = m.get("Queue") or ""
        interface = m.get("Interface") or m.get("Location") or ""
        if not queue or not interface:
            return None
        name = m.get("MemberName") or m.get("Name") or ""
        member = self._member(queue, interface, name)
        self._login(queue, interface, member, self._at if since is None else since)
        paused = m.get("Paused")
        if paused is not None:
            self._set_pause(queue, interface, member, paused == "1", m.get("PausedReason") or "", self._at if pause_since is None else pause_since)
        in_call = m.get("InCall")
        status = m.get("Status")
        self._emit(
            f.MemberUpdated(
                self._at,
                queue,
                interface,
                member.name,
                status=_int(status) if status else None,
                paused=None if paused is None else paused == "1",
                paused_reason=m.get("PausedReason") if paused is not None else None,
                in_call=None if in_call is None else in_call == "1",
            )
        )
        return queue, interface, member

    def _on_member_update(self, m: Message) -> None:
        self._member_event(m)

    def _on_member_removed(self, m: Message) -> None:
        queue = m.get("Queue") or ""
        interface = m.get("Interface") or ""
        member = self._members.pop((queue, interface), None)
        if member is None:
            return
        self._end_member(queue, interface, member)

    def _end_member(self, queue: str, interface: str, member: _Member) -> None:
        self._set_pause(queue, interface, member, False, "", self._at)
        if member.login is not None:
            member.login.ended_at = self._at
            self._emit(f.LoginEnded(member.login))
        self._emit(f.MemberRemoved(self._at, queue, interface, member.name))

    # -- resync: QueueStatus and CoreShowChannels -------------------------------------------
    def _on_queue_params(self, m: Message) -> None:
        queue = m.get("Queue") or ""
        self._listed_queues[queue] = (set(), set())
        level = m.get("ServiceLevel")
        self._emit(f.QueueConfigured(self._at, queue, m.get("Strategy") or "", _int(level) if level else None, _int(m.get("Weight")) if m.get("Weight") else None))

    def _on_queue_member(self, m: Message) -> None:
        login = _int(m.get("LoginTime"))
        last_pause = _int(m.get("LastPause"))
        result = self._member_event(m, since=float(login) if login else None, pause_since=float(last_pause) if last_pause else None)
        if result is not None and result[0] in self._listed_queues:
            self._listed_queues[result[0]][0].add(result[1])

    def _on_queue_entry(self, m: Message) -> None:
        queue = m.get("Queue") or ""
        uniqueid = m.get("Uniqueid") or ""
        if queue in self._listed_queues:
            self._listed_queues[queue][1].add(uniqueid)
        if uniqueid in self._visits:
            return
        state = self._legs.get(uniqueid) or self._open_leg(m, note="first seen waiting in a queue")
        self._join(state, queue, _int(m.get("Position"), 1), self._at - _int(m.get("Wait")))

    def _on_queue_status_complete(self, m: Message) -> None:
        for queue, (members, entries) in self._listed_queues.items():
            for key in [k for k in self._members if k[0] == queue and k[1] not in members]:
                self._end_member(queue, key[1], self._members.pop(key))
            for visit in [v for v in self._visits.values() if v.queue == queue and v.connected_at is None and v.uniqueid not in entries]:
                self._resolve(visit)  # left while nobody listened: outcome unknown
        self._listed_queues = {}

    def _on_core_show_channel(self, m: Message) -> None:
        if self._listed_channels is None:
            self._listed_channels = set()
            self._channels_before_listing = set(self._legs)
        uniqueid = m.get("Uniqueid") or ""
        self._listed_channels.add(uniqueid)
        if uniqueid in self._legs:
            return
        created = self._at - _duration_s(m.get("Duration"))
        state = self._open_leg(m, created_at=created, note="first seen mid-call")
        bridge_id = m.get("BridgeId") or ""
        if bridge_id:
            self._enter_bridge(state, bridge_id)

    def _on_core_show_channels_complete(self, m: Message) -> None:
        listed = self._listed_channels or set()
        before = self._channels_before_listing if self._listed_channels is not None else set(self._legs)
        for uniqueid in before - listed:
            state = self._legs.get(uniqueid)
            if state is not None:
                self._hang_up(state, None, "gone while the bridge was not listening")
        self._listed_channels = None
        self._channels_before_listing = set()

    def _on_fully_booted(self, m: Message) -> None:
        uptime = m.get("Uptime")
        if uptime is None:
            return
        seconds = _int(uptime)
        if self._uptime is not None and seconds < self._uptime:
            # Whatever was open died with the old PBX, after the last thing it told us.
            restarted_at, self._at = self._at, self._previous_at
            for state in list(self._legs.values()):
                self._hang_up(state, None, "PBX restarted")
            for (queue, interface), member in list(self._members.items()):
                self._end_member(queue, interface, member)
            self._members.clear()
            self._bridges.clear()
            self._at = restarted_at
            self._emit(f.PbxRestarted(self._at, seconds))
        self._uptime = seconds

    # -- hang-up and the end of a call ---------------------------------------------------------
    def _on_hangup(self, m: Message) -> None:
        state = self._legs.get(m.get("Uniqueid") or "")
        if state is not None:
            self._hang_up(state, _int(m.get("Cause")) if m.get("Cause") else None, m.get("Cause-txt") or "")

    def _hang_up(self, state: _LegState, cause: int | None, cause_txt: str) -> None:
        leg = state.leg
        if state.hold_since is not None:
            self._end_hold(state)
        if state.bridge:
            self._leave_bridge(state)
        attempt = self._attempts.get(leg.uniqueid)
        if attempt is not None:
            self._end_attempt(attempt, "canceled")
        visit = self._visits.get(leg.uniqueid)
        if visit is not None:
            if visit.connected_at is not None:
                # AgentComplete never came (it was lost): the talk ends with the caller.
                del self._visits[leg.uniqueid]
                visit.completed_at = self._at
                visit.talk_s = round(self._at - visit.connected_at, 3)
                self._emit(f.QueueVisitEnded(visit))
            else:
                self._resolve(visit)
        leg.ended_at = self._at
        leg.cause = cause
        leg.cause_txt = cause_txt
        del self._legs[leg.uniqueid]
        call = self._calls[leg.linkedid]
        call.open_legs.discard(leg.uniqueid)
        self._note(call, "hangup", leg.uniqueid, channel=leg.channel, cause=cause, cause_txt=cause_txt)
        if not call.open_legs:
            self._end_call(call)

    def _end_call(self, call: _CallState) -> None:
        record = call.record
        del self._calls[record.linkedid]
        for visit in [v for v in self._pending if v.linkedid == record.linkedid]:
            self._resolve(visit)
        record.ended_at = self._at
        customer = call.legs.get(call.customer)
        if customer is not None:
            record.hangup_cause = customer.cause
            if customer.cause is None and customer.cause_txt:
                record.note = record.note or customer.cause_txt
        waits = [v.wait_s for v in call.visits if v.joined and v.wait_s is not None]
        record.wait_s = sum(waits) if waits else None
        talks = [v.talk_s for v in call.visits if v.talk_s is not None]
        if talks or call.talked:
            record.talk_s = round(sum(talks) + call.direct_talk_s, 3)
        record.disposition = self._disposition(call)
        self._note(call, "call_ended", record.linkedid, disposition=record.disposition)
        self._emit(f.CallEnded(record, tuple(call.legs.values()), tuple(call.timeline)))

    @staticmethod
    def _disposition(call: _CallState) -> f.Disposition:
        if call.record.direction == "outbound":
            return "outbound" if call.talked else "failed"
        if call.talked or any(v.outcome == "answered" for v in call.visits):
            return "answered"
        if call.visits:
            return "abandoned" if call.visits[-1].outcome == "abandoned" else "exited"
        if call.dialled_directly:
            return "failed"
        return "ivr_only"

    _HANDLERS: dict[str, Callable[[CallTracker, Message], None]] = {
        "Newchannel": _on_newchannel,
        "NewCallerid": _on_newcallerid,
        "Newstate": _on_newstate,
        "DTMFEnd": _on_dtmf_end,
        "VarSet": _on_varset,
        "Newexten": _on_newexten,
        "DialBegin": _on_dial_begin,
        "DialEnd": _on_dial_end,
        "OriginateResponse": _on_originate_response,
        "Hold": _on_hold,
        "Unhold": _on_unhold,
        "BridgeEnter": _on_bridge_enter,
        "BridgeLeave": _on_bridge_leave,
        "BridgeDestroy": _on_bridge_destroy,
        "BlindTransfer": _on_blind_transfer,
        "AttendedTransfer": _on_attended_transfer,
        "QueueCallerJoin": _on_queue_caller_join,
        "QueueCallerAbandon": _on_queue_caller_abandon,
        "QueueCallerLeave": _on_queue_caller_leave,
        "AgentCalled": _on_agent_called,
        "AgentRingNoAnswer": _on_agent_ring_no_answer,
        "AgentConnect": _on_agent_connect,
        "AgentComplete": _on_agent_complete,
        "QueueMemberStatus": _on_member_update,
        "QueueMemberPause": _on_member_update,
        "QueueMemberPaused": _on_member_update,  # Asterisk ≤ 12 spelling
        "QueueMemberAdded": _on_member_update,
        "QueueMemberRemoved": _on_member_removed,
        "QueueParams": _on_queue_params,
        "QueueMember": _on_queue_member,
        "QueueEntry": _on_queue_entry,
        "QueueStatusComplete": _on_queue_status_complete,
        "CoreShowChannel": _on_core_show_channel,
        "CoreShowChannelsComplete": _on_core_show_channels_complete,
        "FullyBooted": _on_fully_booted,
        "Hangup": _on_hangup,
    }
