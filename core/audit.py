"""The access audit log: who read or changed what, when, from which address.

Append-only. ``record`` is the only writer; an ORM guard refuses to flush a change to
or a deletion of a stored entry, and the migration's trigger refuses UPDATE in the
database itself. Entries say what was touched (a call id, a user name, an agent) and
never carry a password or a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.models import AuditEntry


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly(f"audit entry {obj.id} may not be changed or deleted")


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (with role) from an address, or the command line (``cli:NAME``)."""

    name: str
    role: str = ""
    address: str = ""


def record(session: Session, actor: Actor, action: str, target: str = "", *, now: datetime, **detail: Any) -> AuditEntry:
    entry = AuditEntry(
        at=now, actor=actor.name[:64], role=actor.role, address=actor.address[:64], action=action, target=target[:255], detail=detail
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditQuery:
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    limit: int | None = None
    #: Cursor: entries older than this id (newest first).
    before_id: int | None = None


def list_entries(session: Session, query: AuditQuery) -> list[AuditEntry]:
    """Newest first."""
    statement = select(AuditEntry).order_by(AuditEntry.id.desc())
    if query.since is not None:
        statement = statement.where(AuditEntry.at >= query.since)
    if query.until is not None:
        statement = statement.where(AuditEntry.at < query.until)
    if query.actor is not None:
        statement = statement.where(AuditEntry.actor == query.actor)
    if query.action is not None:
        # "user" matches "user.add", "user.disable" …; "user.add" only itself.
        statement = statement.where((AuditEntry.action == query.action) | AuditEntry.action.startswith(query.action + "."))
    if query.before_id is not None:
        statement = statement.where(AuditEntry.id < query.before_id)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return list(session.scalars(statement))
