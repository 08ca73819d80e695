"""The emergency override (应急预案): a switch in the database, so that every AGI server
(several may run against one PostgreSQL) sees it for the next call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ivr.models import EmergencyOverride

ROW_ID = 1


def current(session: Session) -> EmergencyOverride | None:
    """The override if it is on, else None."""
    row = session.get(EmergencyOverride, ROW_ID)
    return row if row is not None and row.active else None


def switch(session: Session, *, active: bool, flow: str, at: datetime, by: str = "") -> EmergencyOverride:
    row = session.get(EmergencyOverride, ROW_ID)
    if row is None:
        row = EmergencyOverride(id=ROW_ID, active=active, flow=flow, changed_at=at, changed_by=by)
        session.add(row)
    else:
        row.active = active
        row.flow = flow if active else row.flow
        row.changed_at = at
        row.changed_by = by
    session.flush()
    return row
