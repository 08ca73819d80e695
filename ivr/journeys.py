"""Storing what the IVR did: journeys and steps, survey answers, voicemails, callback
requests. Synchronous (SQLAlchemy); the asyncio runtime calls it in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
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


@dataclass
class JourneyRecord:
    ids: CallIds
    steps: list[a.Step]
    started_at: float
    ended_at: float
    outcome: str


@dataclass
class SurveyRecord:
    ids: CallIds
    action: a.SaveSurvey
    at: float


@dataclass
class VoicemailRecord:
    ids: CallIds
    action: a.SaveVoicemail
    at: float


Record = JourneyRecord | SurveyRecord | VoicemailRecord


class JourneyStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def save_journey(self, ids: CallIds, steps: list[a.Step], *, started_at: float, ended_at: float, outcome: str) -> int:
        return self.save_journeys([JourneyRecord(ids, steps, started_at, ended_at, outcome)])[0]

    def save_journeys(self, records: list[JourneyRecord]) -> list[int]:
        with transaction(self.sessions) as session:
            return self._journeys(session, records)

    def save_batch(self, records: list[Record]) -> None:
        """Store journeys, survey scores and voicemails in one transaction, with bulk
        inserts: at peak hundreds of calls end within a second, and one ORM transaction
        each would hold the GIL long enough to delay the calls still in progress."""
        with transaction(self.sessions) as session:
            journeys = [r for r in records if isinstance(r, JourneyRecord)]
            if journeys:
                self._journeys(session, journeys)
            surveys = [self._survey_row(r) for r in records if isinstance(r, SurveyRecord)]
            if surveys:
                session.execute(insert(SurveyResponse), surveys)
            voicemails = [self._voicemail_row(r) for r in records if isinstance(r, VoicemailRecord)]
            if voicemails:
                session.execute(insert(Voicemail), voicemails)

    def _journeys(self, session: Session, records: list[JourneyRecord]) -> list[int]:
        ids = list(session.scalars(
            insert(Journey).returning(Journey.id, sort_by_parameter_order=True),
            [{
                "server_id": r.ids.server_id, "uniqueid": r.ids.uniqueid, "linkedid": r.ids.linkedid, "flow": r.ids.flow[:128],
                "requested_flow": r.ids.requested_flow[:128], "channel": r.ids.channel[:200], "caller": r.ids.caller[:80],
                "called": r.ids.called[:80], "started_at": from_epoch(r.started_at), "ended_at": from_epoch(r.ended_at),
                "outcome": r.outcome, "exit_node": r.steps[-1].node[:200] if r.steps else "",
            } for r in records],
        ))
        steps = [
            {
                "journey_id": journey_id, "seq": seq, "server_id": r.ids.server_id, "uniqueid": r.ids.uniqueid,
                "linkedid": r.ids.linkedid, "node": step.node[:200], "type": step.type, "entered_at": from_epoch(step.entered_at),
                "left_at": from_epoch(step.left_at if step.left_at is not None else r.ended_at),
                "prompts": ",".join(step.prompts)[:400], "digits": step.digits[:80], "outcome": step.outcome[:40],
                "timeouts": step.timeouts, "invalid": step.invalid, "detail": dict(step.detail),
            }
            for journey_id, r in zip(ids, records)
            for seq, step in enumerate(r.steps, 1)
        ]
        if steps:
            session.execute(insert(JourneyStep), steps)
        return ids

    def save_survey(self, ids: CallIds, action: a.SaveSurvey, at: float) -> None:
        self.save_batch([SurveyRecord(ids, action, at)])

    def save_voicemail(self, ids: CallIds, action: a.SaveVoicemail, at: float) -> None:
        self.save_batch([VoicemailRecord(ids, action, at)])

    @staticmethod
    def _survey_row(record: SurveyRecord) -> dict[str, object]:
        ids, action = record.ids, record.action
        return {"server_id": ids.server_id, "linkedid": ids.linkedid, "uniqueid": ids.uniqueid, "flow": ids.flow[:128],
                "question": action.question, "score": action.score, "queue": action.queue,
                "agent_interface": action.agent_interface, "agent_name": action.agent_name, "answered_at": from_epoch(record.at)}

    @staticmethod
    def _voicemail_row(record: VoicemailRecord) -> dict[str, object]:
        ids, action = record.ids, record.action
        return {"server_id": ids.server_id, "linkedid": ids.linkedid, "uniqueid": ids.uniqueid, "flow": ids.flow[:128],
                "mailbox": action.mailbox, "caller": ids.caller[:80], "path": action.path[:400], "duration_s": action.duration_s,
                "recorded_at": from_epoch(record.at)}

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
