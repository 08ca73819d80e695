"""``/api/audit``: the access audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.auth import ADMINS, Principal
from api.errors import responses
from api.pagination import encode_cursor, id_cursor
from api.params import check_range, parse_when
from api.schemas import AuditPage
from api.state import AppState, app_state
from core.audit import AuditQuery, list_entries
from core.times import iso

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get(
    "",
    response_model=AuditPage,
    summary="Read the audit log",
    description="Who read or changed what (full caller numbers, pauses, users, tokens, logins), when and from which "
    "address; newest first. Admins only.",
    responses=responses(401, 403, 422),
    openapi_extra=ADMINS.openapi,
)
def list_audit(
    request: Request,
    user: Annotated[Principal, Depends(ADMINS)],
    since: Annotated[str | None, Query(description="Entries at or after this ISO-8601 time.")] = None,
    until: Annotated[str | None, Query(description="Entries before this ISO-8601 time.")] = None,
    actor: Annotated[str | None, Query(max_length=64, description="Only this user (or `cli:NAME` for the command line).")] = None,
    action: Annotated[str | None, Query(max_length=64, description="Only this action, or a family of them: `user` matches `user.add`, `user.disable` …", examples=["agent.pause"])] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> dict:
    state: AppState = app_state(request)
    start, end = parse_when(state, since, "since"), parse_when(state, until, "until")
    check_range(start, end, "since", "until")
    query = AuditQuery(since=start, until=end, actor=actor, action=action, limit=limit + 1, before_id=id_cursor(cursor) if cursor else None)
    with state.sessions() as session:
        entries = list_entries(session, query)
    page = entries[:limit]
    items = [
        {"id": e.id, "at": iso(e.at, state.zone), "actor": e.actor, "role": e.role, "address": e.address, "action": e.action, "target": e.target, "detail": e.detail}
        for e in page
    ]
    return {"items": items, "next_cursor": encode_cursor(str(page[-1].id)) if len(entries) > limit and page else None}
