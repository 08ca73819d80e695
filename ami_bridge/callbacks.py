"""Callback tasks (回访): what other packages call to ask the center to ring a customer back.

Only creation lives here for now; executing a task (Originate) is the callback workflow's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ami_bridge.models import CallbackTask


def request_callback(
    session: Session,
    *,
    server_id: str,
    number: str,
    requested_at: datetime,
    due_at: datetime,
    linkedid: str = "",
    uniqueid: str = "",
    flow: str = "",
    note: str = "",
) -> CallbackTask:
    """Store a pending callback task, or return the pending one this call already asked
    for the same number (a retried request must not make the customer ring twice)."""
    if not number or not number.isdigit() or len(number) > 32:
        raise ValueError(f"callback number {number!r}: digits only, at most 32")
    if due_at < requested_at:
        raise ValueError("a callback cannot be due before it was requested")
    if linkedid:
        existing = session.scalars(
            select(CallbackTask).where(
                CallbackTask.server_id == server_id,
                CallbackTask.source_linkedid == linkedid,
                CallbackTask.caller_number == number,
                CallbackTask.status == "pending",
            )
        ).first()
        if existing is not None:
            return existing
    task = CallbackTask(
        server_id=server_id,
        caller_number=number,
        requested_at=requested_at,
        due_at=due_at,
        status="pending",
        source_linkedid=linkedid,
        source_uniqueid=uniqueid,
        flow=flow[:128],
        note=note[:200],
    )
    session.add(task)
    session.flush()
    return task
