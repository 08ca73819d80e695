"""Storing what the IVR did: journeys and steps, survey answers, voicemails, callback
requests. Synchronous (SQLAlchemy); the asyncio runtime calls it in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ami_bridge.callbacks import request_callback
from core.db import transaction
from core.times import from_epoch
from ivr import actions as a
from ivr.models import Journey, JourneyStep, SurveyResponse, Voicemail


@dataclass
class CallIds:
    """Who the journey belongs to: the PBX, the channel and the call."""

    server_id: str
    uniqueid: str
    linkedid: str
    flow: str
    requested_flow: str = ""
    channel: str = ""
    caller: str = ""
    called: str = ""


class JourneyStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def save_journey(self, ids: CallIds, steps: list[a.Step], *, started_at: float, ended_at: float, outcome: str) -> int:
        with transaction(self.sessions) as session:
            journey = Journey(
                server_id=ids.server_id, uniqueid=ids.uniqueid, linkedid=ids.linkedid, flow=ids.flow[:128],
                requested_flow=ids.requested_flow[:128], channel=ids.channel[:200], caller=ids.caller[:80],
                called=ids.called[:80], started_at=from_epoch(started_at), ended_at=from_epoch(ended_at), outcome=outcome,
                exit_node=steps[-1].node[:200] if steps else "",
            )
            session.add(journey)
            session.flush()
            session.add_all(
                JourneyStep(
                    journey_id=journey.id, seq=seq, server_id=ids.server_id, uniqueid=ids.uniqueid, linkedid=ids.linkedid,
                    node=step.node[:200], type=step.type, entered_at=from_epoch(step.entered_at),
                    left_at=from_epoch(step.left_at if step.left_at is not None else ended_at),
                    prompts=",".join(step.prompts)[:400], digits=step.digits[:80], outcome=step.outcome[:40],
                    timeouts=step.timeouts, invalid=step.invalid, detail=dict(step.detail),
                )
                for seq, step in enumerate(steps, 1)
            )
            return journey.id

    def save_survey(self, ids: CallIds, action: a.SaveSurvey, at: float) -> None:
        with transaction(self.sessions) as session:
            session.add(SurveyResponse(
                server_id=ids.server_id, linkedid=ids.linkedid, uniqueid=ids.uniqueid, flow=ids.flow[:128],
                question=action.question, score=action.score, queue=action.queue, agent_interface=action.agent_interface,
                agent_name=action.agent_name, answered_at=from_epoch(at),
            ))

    def save_voicemail(self, ids: CallIds, action: a.SaveVoicemail, at: float) -> None:
        with transaction(self.sessions) as session:
            session.add(Voicemail(
                server_id=ids.server_id, linkedid=ids.linkedid, uniqueid=ids.uniqueid, flow=ids.flow[:128],
                mailbox=action.mailbox, caller=ids.caller[:80], path=action.path[:400], duration_s=action.duration_s,
                recorded_at=from_epoch(at),
            ))

    def request_callback(self, ids: CallIds, action: a.RequestCallback, at: float) -> int:
        with transaction(self.sessions) as session:
            task = request_callback(
                session, server_id=ids.server_id, number=action.number, requested_at=from_epoch(at),
                due_at=from_epoch(max(action.due_at, at)), linkedid=ids.linkedid, uniqueid=ids.uniqueid, flow=ids.flow,
                note=action.note,
            )
            return task.id




def call_path(session: Session, server_id: str, linkedid: str) -> list[JourneyStep]:
    """The IVR steps of one call, in order (for the call log's detail page)."""
    return list(session.scalars(
        select(JourneyStep)
        .where(JourneyStep.server_id == server_id, JourneyStep.linkedid == linkedid)
        .order_by(JourneyStep.entered_at, JourneyStep.journey_id, JourneyStep.seq)
    ))
