"""Writing the journal and the tracker's facts, idempotently.

A fact is written with the keys Asterisk gave it (server, ``Uniqueid``/``Linkedid``,
visit number, start time), so writing it again (replay, rebuild, a message seen twice
after a reconnect) leaves the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, tuple_
from sqlalchemy.orm import Session

from ami_bridge import facts as f
from ami_bridge import models
from ami_bridge.framing import Framer
from ami_bridge.message import Message
from core.db import upsert

UTC = timezone.utc


def _dt(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


_JOURNAL_INSERT = {
    # The journal is the hot path: plain driver SQL with positional rows runs several
    # times faster than Core inserts of dicts.
    "sqlite": "INSERT OR IGNORE INTO ami_journal (server_id, received_at, digest, messages, raw) VALUES (?, ?, ?, ?, ?)",
    "postgresql": "INSERT INTO ami_journal (server_id, received_at, digest, messages, raw) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
}


def journal_rows(server_id: str, batch: Sequence[tuple[Message, float, float]]) -> list[tuple[str, float, bytes, int, bytes]]:
    """One row per run of consecutive messages received at the same moment (one read)."""
    rows = []
    blake2b = hashlib.blake2b
    i, n = 0, len(batch)
    while i < n:
        received_at = batch[i][1]
        j = i + 1
        while j < n and batch[j][1] == received_at:
            j += 1
        raw = b"".join([item[0].raw for item in batch[i:j]])
        rows.append((server_id, received_at, blake2b(raw, digest_size=16).digest(), j - i, raw))
        i = j
    return rows


def append_journal(session: Session, server_id: str, batch: Sequence[tuple[Message, float, float]]) -> None:
    """Append messages exactly as received; a run already journaled is skipped."""
    if not batch:
        return
    connection = session.connection()
    connection.exec_driver_sql(_JOURNAL_INSERT[connection.dialect.name], journal_rows(server_id, batch))


def read_journal(raw: bytes) -> list[Message]:
    """The messages of one journal row."""
    framer = Framer(expect_banner=False)
    return [item for item in framer.feed(raw) + framer.close() if isinstance(item, Message)]


def _call_row(server_id: str, c: f.CallRecord) -> dict[str, Any]:
    return {
        "server_id": server_id,
        "linkedid": c.linkedid,
        "direction": c.direction,
        "started_at": _dt(c.started_at),
        "answered_at": _dt(c.answered_at),
        "ended_at": _dt(c.ended_at),
        "caller_num": c.caller_num,
        "caller_name": c.caller_name,
        "dnis": c.dnis,
        "queue": c.queue,
        "agent_interface": c.agent_interface,
        "agent_name": c.agent_name,
        "disposition": c.disposition,
        "wait_s": c.wait_s,
        "talk_s": c.talk_s,
        "hold_s": c.hold_s,
        "ivr_digits": c.ivr_digits[:80],
        "transfers": c.transfers,
        "hangup_cause": c.hangup_cause,
        "task": c.task,
        "note": c.note,
    }


def _leg_row(server_id: str, leg: f.Leg) -> dict[str, Any]:
    return {
        "server_id": server_id,
        "uniqueid": leg.uniqueid,
        "linkedid": leg.linkedid,
        "channel": leg.channel,
        "role": leg.role,
        "caller_num": leg.caller_num,
        "created_at": _dt(leg.created_at),
        "answered_at": _dt(leg.answered_at),
        "ended_at": _dt(leg.ended_at),
        "cause": leg.cause,
        "cause_txt": leg.cause_txt,
    }


def _visit_row(server_id: str, v: f.QueueVisit) -> dict[str, Any]:
    return {
        "server_id": server_id,
        "uniqueid": v.uniqueid,
        "visit": v.visit,
        "linkedid": v.linkedid,
        "queue": v.queue,
        "joined": v.joined,
        "caller_num": v.caller_num,
        "joined_at": _dt(v.joined_at),
        "position": v.position,
        "left_at": _dt(v.left_at),
        "outcome": v.outcome or "other",
        "wait_s": v.wait_s or 0.0,
        "exit_digit": v.exit_digit,
        "agent_interface": v.agent_interface,
        "agent_name": v.agent_name,
        "connected_at": _dt(v.connected_at),
        "completed_at": _dt(v.completed_at),
        "talk_s": v.talk_s,
        "hold_s": v.hold_s,
        "complete_reason": v.complete_reason,
        "rings": v.rings,
        "ring_no_answers": v.ring_no_answers,
    }


def _attempt_row(server_id: str, a: f.AgentAttempt) -> dict[str, Any]:
    return {
        "server_id": server_id,
        "agent_uniqueid": a.agent_uniqueid,
        "uniqueid": a.uniqueid,
        "linkedid": a.linkedid,
        "queue": a.queue,
        "interface": a.interface,
        "member_name": a.member_name,
        "called_at": _dt(a.called_at),
        "ended_at": _dt(a.ended_at),
        "outcome": a.outcome or "canceled",
        "ring_s": a.ring_s,
    }


def _interval_row(server_id: str, r: f.PauseRecord | f.LoginRecord) -> dict[str, Any]:
    row = {
        "server_id": server_id,
        "queue": r.queue,
        "interface": r.interface,
        "member_name": r.member_name,
        "started_at": _dt(r.started_at),
        "ended_at": _dt(r.ended_at),
    }
    if isinstance(r, f.PauseRecord):
        row["reason"] = r.reason
    return row


class FactWriter:
    """Turns a batch of facts into a few bulk statements."""

    def __init__(self, server_id: str) -> None:
        self.server_id = server_id

    def write(self, session: Session, facts: Iterable[f.Fact]) -> None:
        sid = self.server_id
        started: list[dict[str, Any]] = []
        ended: list[dict[str, Any]] = []
        legs: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        ended_ids: list[str] = []
        visits: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        pauses_open: list[dict[str, Any]] = []
        pauses_closed: list[dict[str, Any]] = []
        logins_open: list[dict[str, Any]] = []
        logins_closed: list[dict[str, Any]] = []
        queues: list[dict[str, Any]] = []
        for fact in facts:
            if isinstance(fact, f.CallStarted):
                started.append(_call_row(sid, fact.call))
            elif isinstance(fact, f.CallEnded):
                ended.append(_call_row(sid, fact.call))
                ended_ids.append(fact.call.linkedid)
                legs.extend(_leg_row(sid, leg) for leg in fact.legs)
                events.extend(
                    {"server_id": sid, "linkedid": fact.call.linkedid, "seq": seq, "at": _dt(e.at), "kind": e.kind, "uniqueid": e.uniqueid, "data": e.data}
                    for seq, e in enumerate(fact.timeline)
                )
            elif isinstance(fact, f.QueueVisitEnded):
                visits.append(_visit_row(sid, fact.visit))
            elif isinstance(fact, f.AgentAttemptEnded):
                attempts.append(_attempt_row(sid, fact.attempt))
            elif isinstance(fact, f.PauseStarted):
                pauses_open.append(_interval_row(sid, fact.pause))
            elif isinstance(fact, f.PauseEnded):
                pauses_closed.append(_interval_row(sid, fact.pause))
            elif isinstance(fact, f.LoginStarted):
                logins_open.append(_interval_row(sid, fact.login))
            elif isinstance(fact, f.LoginEnded):
                logins_closed.append(_interval_row(sid, fact.login))
            elif isinstance(fact, f.QueueConfigured):
                queues.append(
                    {"server_id": sid, "name": fact.queue, "strategy": fact.strategy, "service_level_s": fact.service_level_s, "weight": fact.weight, "updated_at": _dt(fact.at)}
                )
        # A started call never overwrites the finished row of an earlier replay.
        upsert(session, models.Call.__table__, started, ["server_id", "linkedid"], update=False)
        upsert(session, models.Call.__table__, ended, ["server_id", "linkedid"])
        upsert(session, models.CallLeg.__table__, legs, ["server_id", "uniqueid"])
        if ended_ids:
            session.execute(
                delete(models.CallEvent).where(tuple_(models.CallEvent.server_id, models.CallEvent.linkedid).in_([(sid, i) for i in ended_ids]))
            )
            session.execute(models.CallEvent.__table__.insert(), events)
        upsert(session, models.QueueCall.__table__, visits, ["server_id", "uniqueid", "visit"])
        upsert(session, models.AgentAttemptRow.__table__, attempts, ["server_id", "agent_uniqueid"])
        interval_key = ["server_id", "queue", "interface", "started_at"]
        upsert(session, models.AgentPause.__table__, pauses_open, interval_key, update=False)
        upsert(session, models.AgentPause.__table__, pauses_closed, interval_key)
        upsert(session, models.AgentLogin.__table__, logins_open, interval_key, update=False)
        upsert(session, models.AgentLogin.__table__, logins_closed, interval_key)
        upsert(session, models.QueueConfig.__table__, queues, ["server_id", "name"])
