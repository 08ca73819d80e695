"""IVR tables: journeys (one per AGI session) and their steps, survey answers,
voicemails, and the emergency override.

A journey carries the call's ``Uniqueid`` (the channel that ran the IVR) and ``Linkedid``
(the call), so the call log can show the IVR path of a call; steps repeat both so that a
query by call needs no join.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")
SERVER_ID = String(64)
UNIQUEID = String(64)
FLOW = String(128)


class Journey(Base):
    __tablename__ = "ivr_journeys"
    __table_args__ = (
        UniqueConstraint("server_id", "uniqueid", "started_at"),
        Index("ix_ivr_journeys_flow_started_at", "flow", "started_at"),
        Index("ix_ivr_journeys_linkedid", "server_id", "linkedid"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    flow: Mapped[str] = mapped_column(FLOW)
    #: The flow the caller asked for when the emergency override sent them elsewhere.
    requested_flow: Mapped[str] = mapped_column(FLOW, default="")
    channel: Mapped[str] = mapped_column(String(200), default="")
    caller: Mapped[str] = mapped_column(String(80), default="")
    called: Mapped[str] = mapped_column(String(80), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: hangup | transferred | caller_hangup | error
    outcome: Mapped[str] = mapped_column(String(32), default="")
    exit_node: Mapped[str] = mapped_column(String(200), default="")


class JourneyStep(Base):
    __tablename__ = "ivr_steps"
    __table_args__ = (UniqueConstraint("journey_id", "seq"), Index("ix_ivr_steps_linkedid", "server_id", "linkedid"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("ivr_journeys.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    node: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prompts: Mapped[str] = mapped_column(String(400), default="")
    #: Keys pressed, one entry per attempt ("9,1"); typed numbers are masked.
    digits: Mapped[str] = mapped_column(String(80), default="")
    outcome: Mapped[str] = mapped_column(String(40), default="")
    timeouts: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SurveyResponse(Base):
    """A caller's score after talking to an agent: stored against the call and the agent."""

    __tablename__ = "ivr_survey_responses"
    __table_args__ = (Index("ix_ivr_survey_responses_agent", "agent_interface", "answered_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    flow: Mapped[str] = mapped_column(FLOW)
    question: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(128), default="")
    agent_interface: Mapped[str] = mapped_column(String(128), default="")
    agent_name: Mapped[str] = mapped_column(String(128), default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Voicemail(Base):
    """A message recorded by the IVR; the file lives on the PBX at ``path``."""

    __tablename__ = "ivr_voicemails"
    __table_args__ = (Index("ix_ivr_voicemails_recorded_at", "recorded_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    server_id: Mapped[str] = mapped_column(SERVER_ID)
    linkedid: Mapped[str] = mapped_column(UNIQUEID)
    uniqueid: Mapped[str] = mapped_column(UNIQUEID)
    flow: Mapped[str] = mapped_column(FLOW)
    mailbox: Mapped[str] = mapped_column(String(64), default="")
    caller: Mapped[str] = mapped_column(String(80), default="")
    path: Mapped[str] = mapped_column(String(400))
    duration_s: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EmergencyOverride(Base):
    """应急预案: while ``active``, every new call runs ``flow`` instead of its own.

    One row (``id`` 1): the switch is global, as an emergency announcement is.
    """

    __tablename__ = "ivr_emergency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[bool] = mapped_column(default=False)
    flow: Mapped[str] = mapped_column(FLOW, default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(128), default="")
