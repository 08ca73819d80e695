"""Tables of the PBX side: the raw journal and the facts the tracker derives from it.

Every fact row is keyed by the PBX (``server_id``) and Asterisk's own ids, so writing
the same fact twice (a replay, a rebuild, a reconnect) changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

# SQLite only makes INTEGER PRIMARY KEY an alias of its rowid (auto-increment).
BigId = BigInteger().with_variant(Integer(), "sqlite")

SERVER_ID = String(64)
UNIQUEID = String(64)


class JournalEntry(Base):
    """AMI messages exactly as received, appended before they are interpreted.

    A row holds what one socket read delivered: one or more complete messages sharing a
    receive time, byte for byte (a row per message cost the bridge half its speed in
    B-tree writes; ``Framer`` splits a row back into its messages).
    """

    __tablename__ = "ami_journal"
    __table_args__ = (UniqueConstraint("server_id", "received_at", "digest"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    #: Epoch seconds: the receive time live, the trace's time in a replay.
    received_at: Mapped[float] = mapped_column(Float)
    #: blake2b-128 of ``raw``: with the receive time it makes a replayed message a no-op.
    digest: Mapped[bytes] = mapped_column(LargeBinary(16))
    #: How many messages ``raw`` holds.
    messages: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("server_id", "linkedid"),
        Index("ix_calls_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    direction: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    caller_num: Mapped[str] = mapped_column(String(80), default="")
    caller_name: Mapped[str] = mapped_column(String(120), default="")
    dnis: Mapped[str] = mapped_column(String(80), default="")
    queue: Mapped[str] = mapped_column(String(128), default="")
    agent_interface: Mapped[str] = mapped_column(String(128), default="")
    agent_name: Mapped[str] = mapped_column(String(128), default="")
    #: NULL while the call is still up.
    disposition: Mapped[str | None] = mapped_column(String(16))
    wait_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    ivr_digits: Mapped[str] = mapped_column(String(80), default="")
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    task: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(String(200), default="")


class CallLeg(Base):
    __tablename__ = "call_legs"
    __table_args__ = (UniqueConstraint("server_id", "uniqueid"), Index("ix_call_legs_linkedid", "server_id", "linkedid"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    channel: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    caller_num: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cause: Mapped[int | None] = mapped_column(Integer)
    cause_txt: Mapped[str] = mapped_column(String(120), default="")


class CallEvent(Base):
    """A call's timeline, in order (``seq``)."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("server_id", "linkedid", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class QueueCall(Base):
    """One caller's stay in one queue: the unit of queue statistics."""

    __tablename__ = "queue_calls"
    __table_args__ = (UniqueConstraint("server_id", "uniqueid", "visit"), Index("ix_queue_calls_joined_at", "joined_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    visit: Mapped[int] = mapped_column(Integer)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    queue: Mapped[str] = mapped_column(String(128))
    joined: Mapped[bool] = mapped_column(default=True)
    caller_num: Mapped[str] = mapped_column(String(80), default="")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(Integer)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    wait_s: Mapped[float] = mapped_column(Float)
    exit_digit: Mapped[str] = mapped_column(String(4), default="")
    agent_interface: Mapped[str] = mapped_column(String(128), default="")
    agent_name: Mapped[str] = mapped_column(String(128), default="")
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    talk_s: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    complete_reason: Mapped[str] = mapped_column(String(16), default="")
    rings: Mapped[int] = mapped_column(Integer, default=0)
    ring_no_answers: Mapped[int] = mapped_column(Integer, default=0)


class AgentAttemptRow(Base):
    """One ring of one agent for one waiting caller."""

    __tablename__ = "agent_attempts"
    __table_args__ = (UniqueConstraint("server_id", "agent_uniqueid"), Index("ix_agent_attempts_called_at", "called_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    agent_uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    queue: Mapped[str] = mapped_column(String(128))
    interface: Mapped[str] = mapped_column(String(128))
    member_name: Mapped[str] = mapped_column(String(128))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    ring_s: Mapped[float | None] = mapped_column(Float)


class AgentPause(Base):
    __tablename__ = "agent_pauses"
    __table_args__ = (UniqueConstraint("server_id", "queue", "interface", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    queue: Mapped[str] = mapped_column(String(128))
    interface: Mapped[str] = mapped_column(String(128))
    member_name: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(128), default="")


class AgentLogin(Base):
    """A member's time in a queue."""

    __tablename__ = "agent_logins"
    __table_args__ = (UniqueConstraint("server_id", "queue", "interface", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    queue: Mapped[str] = mapped_column(String(128))
    interface: Mapped[str] = mapped_column(String(128))
    member_name: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QueueConfig(Base):
    """What Asterisk said about a queue (``QueueParams``)."""

    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("server_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    name: Mapped[str] = mapped_column(String(128))
    strategy: Mapped[str] = mapped_column(String(32), default="")
    service_level_s: Mapped[int | None] = mapped_column(Integer)
    weight: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LiveSnapshot(Base):
    """The live queue state of one PBX, written by its bridge for other processes."""

    __tablename__ = "live_snapshots"

    server_id: Mapped[str] = mapped_column(SERVER_ID, primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    connected: Mapped[bool] = mapped_column(default=False)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class BridgeCheckpoint(Base):
    """Where a bridge's tracker can restart from: the journal of every call still open
    begins at or after ``resume_at``; ``uptime_s`` tells a PBX restart apart."""

    __tablename__ = "bridge_checkpoints"

    server_id: Mapped[str] = mapped_column(SERVER_ID, primary_key=True)
    resume_at: Mapped[float] = mapped_column(Float)
    uptime_s: Mapped[int | None] = mapped_column(Integer)


def delete_order() -> list[type[Base]]:
    """Fact tables, children first: what a rebuild clears (never the journal)."""
    return [CallEvent, CallLeg, Call, QueueCall, AgentAttemptRow, AgentPause, AgentLogin, QueueConfig, BridgeCheckpoint, LiveSnapshot]


class CallbackTask(Base):
    """A call the center owes a customer (回访, a callback requested in the IVR).

    Created ``pending`` with a due time; the callback workflow (Originate) picks it up.
    ``source_*`` link it to the call it was asked for.
    """

    __tablename__ = "callback_tasks"
    __table_args__ = (Index("ix_callback_tasks_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    caller_number: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    source_linkedid: Mapped[str] = mapped_column(UNIQUEID, default="")
    source_uniqueid: Mapped[str] = mapped_column(UNIQUEID, default="")
    flow: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
