"""``/api/calls``: the call log, filtered and paged, and one call with its timeline."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from ami_bridge.queries.calls import CallQuery, call_to_dict, get_call, list_calls
from api.auth import ANY_USER, Principal
from api.call_views import agent_calls, call_detail, call_numbers, may_see
from api.errors import ApiError, responses
from api.pagination import encode_cursor, time_id_cursor
from api.params import check_range, parse_when
from api.redaction import for_viewer
from api.schemas import CallDetail, CallPage
from api.state import AppState, app_state
from core import audit
from core.db import transaction
from core.users import Role

router = APIRouter(prefix="/api/calls", tags=["calls"])
Viewer = Annotated[Principal, Depends(ANY_USER)]
Disposition = Literal["answered", "abandoned", "exited", "ivr_only", "outbound", "failed"]


@router.get(
    "",
    response_model=CallPage,
    summary="List calls",
    description="Calls that started in the range, oldest first, with the fields of `hotline calls list --json`. "
    "Agents see only the calls answered on their own interfaces. Callers' numbers are masked for roles "
    "that may not see them (HOTLINE_FULL_NUMBER_ROLES); reads of full numbers are audited.",
    responses=responses(401, 403, 422),
    openapi_extra=ANY_USER.openapi,
)
def list_(
    request: Request,
    user: Viewer,
    since: Annotated[str | None, Query(description="Calls that started at or after this ISO-8601 time.", examples=["2026-11-24T08:00"])] = None,
    until: Annotated[str | None, Query(description="Calls that started before this ISO-8601 time.", examples=["2026-11-25T08:00+08:00"])] = None,
    queue: Annotated[str | None, Query(max_length=128, description="Only calls that went through this queue.")] = None,
    agent: Annotated[str | None, Query(max_length=128, description="Only calls answered by this agent (name or interface).")] = None,
    disposition: Annotated[Disposition | None, Query(description="Only calls that ended this way.")] = None,
    caller: Annotated[str | None, Query(max_length=80, description="Only calls from (outbound: to) this number.")] = None,
    server_id: Annotated[str | None, Query(max_length=64, description="Only calls through this PBX.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many calls per page.")] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> dict:
    state: AppState = app_state(request)
    start, end = parse_when(state, since, "since"), parse_when(state, until, "until")
    check_range(start, end, "since", "until")
    query = CallQuery(
        since=start, until=end, queue=queue, agent=agent, disposition=disposition, caller=caller, server_id=server_id,
        limit=limit + 1, after=time_id_cursor(cursor) if cursor else None,
    )
    with transaction(state.sessions) as session:
        rows = agent_calls(session, query, user.interfaces) if user.role is Role.AGENT else list_calls(session, query)
        page, more = rows[:limit], len(rows) > limit
        items = [for_viewer(call_to_dict(call, state.zone), user.full_numbers, call_numbers(call)) for call in page]
        if user.full_numbers and any(call.caller_num for call in page):
            audit.record(session, user.actor, "calls.read", f"{len(page)} calls", now=state.now(), calls=[f"{c.server_id}/{c.linkedid}" for c in page])
    next_cursor = encode_cursor(page[-1].started_at.isoformat(), str(page[-1].id)) if more and page else None
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/{server_id}/{linkedid}",
    response_model=CallDetail,
    summary="One call with its legs and timeline",
    description="The fields of `hotline calls show --json`. 404 for a call this user may not see (an agent: not its own).",
    responses=responses(401, 403, 404, 422),
    openapi_extra=ANY_USER.openapi,
)
def detail(
    request: Request,
    user: Viewer,
    server_id: Annotated[str, Path(max_length=64, description="The PBX.", examples=["pbx1"])],
    linkedid: Annotated[str, Path(max_length=64, description="Asterisk's Linkedid of the call.", examples=["1795495540.130"])],
) -> dict:
    state: AppState = app_state(request)
    with transaction(state.sessions) as session:
        call = get_call(session, server_id, linkedid)
        if call is None or not may_see(user.role, user.interfaces, call):
            raise ApiError(404, "not_found", f"no call with Linkedid {linkedid!r} on server {server_id!r}")
        detail, numbers = call_detail(session, call, state.zone)
        if user.full_numbers and call.caller_num:
            audit.record(session, user.actor, "calls.read", f"{server_id}/{linkedid}", now=state.now(), calls=[f"{server_id}/{linkedid}"])
    return for_viewer(detail, user.full_numbers, numbers)
