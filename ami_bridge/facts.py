"""What the call tracker concludes from AMI messages: plain records, no I/O.

The tracker emits facts in event order. Consumers pick what they need: the store
persists the records (``CallEnded``, ``QueueVisitEnded`` …), the live state follows the
fine-grained ones (``CallerJoined``, ``AgentConnected`` …), the live feed forwards them.
Times are epoch seconds (UTC); the store turns them into datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["inbound", "outbound"]
Disposition = Literal["answered", "abandoned", "exited", "ivr_only", "outbound", "failed"]
DISPOSITIONS: tuple[Disposition, ...] = ("answered", "abandoned", "exited", "ivr_only", "outbound", "failed")

#: How a caller's stay in a queue ended. ``timeout``, ``exit_key``, ``empty``, ``full``,
#: ``unavailable`` and ``other`` are the *exited* outcomes (left without an agent and
#: without hanging up).
VisitOutcome = Literal["answered", "abandoned", "timeout", "exit_key", "empty", "full", "unavailable", "other"]
EXIT_OUTCOMES: frozenset[str] = frozenset({"timeout", "exit_key", "empty", "full", "unavailable", "other"})


@dataclass(slots=True)
class TimelineEntry:
    at: float
    kind: str
    uniqueid: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Leg:
    """One channel of a call."""

    uniqueid: str
    linkedid: str
    channel: str
    created_at: float
    caller_num: str = ""
    caller_name: str = ""
    role: Literal["caller", "agent", "customer", "other"] = "other"
    answered_at: float | None = None
    ended_at: float | None = None
    cause: int | None = None
    cause_txt: str = ""

    @property
    def interface(self) -> str:
        """``SIP/1001`` for channel ``SIP/1001-0000000b`` (how queues name members)."""
        return self.channel.rpartition("-")[0] or self.channel


@dataclass(slots=True, eq=False)  # identity matters: the tracker finds visits in lists
class QueueVisit:
    """One stay of one caller channel in one queue (``QueueCallerJoin`` → leave/complete)."""

    uniqueid: str
    linkedid: str
    visit: int  # 1 for the channel's first queue visit, 2 for its second …
    queue: str
    caller_num: str
    caller_name: str
    joined_at: float
    position: int
    left_at: float | None = None
    outcome: VisitOutcome | None = None
    wait_s: float | None = None
    exit_digit: str = ""
    agent_interface: str = ""
    agent_name: str = ""
    connected_at: float | None = None
    completed_at: float | None = None
    talk_s: float | None = None
    hold_s: float = 0.0
    complete_reason: str = ""
    rings: int = 0
    ring_no_answers: int = 0
    #: False for a caller that never got in (``QUEUESTATUS`` JOINEMPTY, FULL, JOINUNAVAIL):
    #: not offered, counted apart as a failed join.
    joined: bool = True
    # Set while the outcome waits for the QUEUESTATUS that follows QueueCallerLeave.
    abandon_seen: bool = False


@dataclass(slots=True)
class AgentAttempt:
    """One ring of one agent for one waiting caller (``AgentCalled`` → its end)."""

    agent_uniqueid: str
    uniqueid: str
    linkedid: str
    queue: str
    interface: str
    member_name: str
    called_at: float
    ended_at: float | None = None
    outcome: Literal["connected", "no_answer", "canceled"] | None = None
    ring_s: float | None = None


@dataclass(slots=True)
class CallRecord:
    """One call: everything sharing a ``Linkedid``."""

    linkedid: str
    started_at: float
    direction: Direction = "inbound"
    caller_num: str = ""
    caller_name: str = ""
    dnis: str = ""
    answered_at: float | None = None
    ended_at: float | None = None
    queue: str = ""
    agent_interface: str = ""
    agent_name: str = ""
    disposition: Disposition | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    hold_s: float = 0.0
    ivr_digits: str = ""
    transfers: int = 0
    hangup_cause: int | None = None
    task: str = ""
    note: str = ""


@dataclass(slots=True)
class PauseRecord:
    queue: str
    interface: str
    member_name: str
    started_at: float
    reason: str = ""
    ended_at: float | None = None


@dataclass(slots=True)
class LoginRecord:
    """A member's time in a queue (static members: from their ``LoginTime``)."""

    queue: str
    interface: str
    member_name: str
    started_at: float
    ended_at: float | None = None


# -- facts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallStarted:
    call: CallRecord


@dataclass(frozen=True, slots=True)
class CallEnded:
    call: CallRecord
    legs: tuple[Leg, ...]
    timeline: tuple[TimelineEntry, ...]


@dataclass(frozen=True, slots=True)
class CallerJoined:
    at: float
    queue: str
    uniqueid: str
    linkedid: str
    caller_num: str
    caller_name: str
    position: int


@dataclass(frozen=True, slots=True)
class CallerLeft:
    """The caller is no longer waiting (answered, gone, or moved on)."""

    at: float
    queue: str
    uniqueid: str


@dataclass(frozen=True, slots=True)
class QueueVisitEnded:
    visit: QueueVisit


@dataclass(frozen=True, slots=True)
class AgentRinging:
    at: float
    queue: str
    interface: str
    member_name: str
    uniqueid: str


@dataclass(frozen=True, slots=True)
class AgentAttemptEnded:
    attempt: AgentAttempt


@dataclass(frozen=True, slots=True)
class AgentConnected:
    at: float
    queue: str
    interface: str
    member_name: str
    uniqueid: str
    linkedid: str
    wait_s: float


@dataclass(frozen=True, slots=True)
class AgentCompleted:
    at: float
    queue: str
    interface: str
    member_name: str
    uniqueid: str
    linkedid: str
    talk_s: float
    reason: str


@dataclass(frozen=True, slots=True)
class MemberUpdated:
    """A queue member's state as Asterisk reported it; ``None`` means "not said"."""

    at: float
    queue: str
    interface: str
    member_name: str
    status: int | None = None
    paused: bool | None = None
    paused_reason: str | None = None
    in_call: bool | None = None


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    at: float
    queue: str
    interface: str
    member_name: str


@dataclass(frozen=True, slots=True)
class LoginStarted:
    login: LoginRecord


@dataclass(frozen=True, slots=True)
class LoginEnded:
    login: LoginRecord


@dataclass(frozen=True, slots=True)
class PauseStarted:
    pause: PauseRecord


@dataclass(frozen=True, slots=True)
class PauseEnded:
    pause: PauseRecord


@dataclass(frozen=True, slots=True)
class QueueConfigured:
    at: float
    queue: str
    strategy: str
    service_level_s: int | None
    weight: int | None


@dataclass(frozen=True, slots=True)
class PbxRestarted:
    at: float
    uptime_s: int


Fact = (
    CallStarted
    | CallEnded
    | CallerJoined
    | CallerLeft
    | QueueVisitEnded
    | AgentRinging
    | AgentAttemptEnded
    | AgentConnected
    | AgentCompleted
    | MemberUpdated
    | MemberRemoved
    | LoginStarted
    | LoginEnded
    | PauseStarted
    | PauseEnded
    | QueueConfigured
    | PbxRestarted
)
