"""``/api/agents``: who is in which queue and doing what, per-agent statistics, and
pausing an agent through the bridge."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from sqlalchemy import select

from ami_bridge.connection import AmiActionError, AmiNotConnected
from ami_bridge.queries.agent_stats import AgentStatsQuery, agent_stats
from api.auth import ANY_USER, STAFF, SUPERVISORS, Principal
from api.errors import ApiError, invalid, responses
from api.params import check_range, parse_when
from api.schemas import Agent, AgentStats, PauseRequest, PauseResult
from api.state import AppState, app_state
from core import audit
from core.db import transaction
from core.models import User, UserInterface
from core.users import Role

router = APIRouter(prefix="/api/agents", tags=["agents"])
log = logging.getLogger("hotline.api")

#: Which status an agent in several queues shows: the most telling one.
_STATUS_ORDER = ["on_call", "ringing", "available", "paused", "busy", "unavailable"]


@router.get(
    "",
    response_model=list[Agent],
    summary="Agents and their live status",
    description="Every queue member the bridges see now (with its status and pause reason per queue) and every "
    "agent user, linked by interface. An agent user that is in no queue shows as `logged_out`.",
    responses=responses(401, 403),
    openapi_extra=STAFF.openapi,
)
async def list_agents(request: Request, user: Annotated[Principal, Depends(STAFF)]) -> list[dict]:
    state: AppState = app_state(request)
    assert state.feed is not None
    agents: dict[str, dict] = {}
    rows = await state.feed.queue_rows()

    def linked_users() -> dict[str, str]:
        with state.sessions() as session:
            return {link.interface: name for link, name in session.execute(select(UserInterface, User.name).join(User, User.id == UserInterface.user_id))}

    users = await run_in_threadpool(linked_users)
    for row in rows:
        for member in row["agents"]:
            entry = agents.setdefault(member["interface"], {"interface": member["interface"], "name": member["name"], "queues": []})
            entry["queues"].append({"server_id": row["server_id"], "queue": row["queue"], "status": member["status"], "paused_reason": member["paused_reason"]})
    for interface, name in users.items():
        agents.setdefault(interface, {"interface": interface, "name": name, "queues": []})
    out = []
    for interface in sorted(agents):
        entry = agents[interface]
        statuses = [q["status"] for q in entry["queues"]]
        status = min(statuses, key=lambda s: _STATUS_ORDER.index(s) if s in _STATUS_ORDER else len(_STATUS_ORDER)) if statuses else "logged_out"
        reasons = [q["paused_reason"] for q in entry["queues"] if q["paused_reason"]]
        out.append({**entry, "user": users.get(interface), "status": status, "paused_reason": reasons[0] if status == "paused" and reasons else ""})
    return out


@router.get(
    "/stats",
    response_model=list[AgentStats],
    summary="Per-agent statistics",
    description="Calls handled, ring-no-answer, talk time, AHT, logged-in and paused time and occupancy, as "
    "`hotline agents stats --json`. Agents see only their own interfaces' rows.",
    responses=responses(401, 403, 422),
    openapi_extra=ANY_USER.openapi,
)
def stats(
    request: Request,
    user: Annotated[Principal, Depends(ANY_USER)],
    start: Annotated[str | None, Query(alias="from", description="ISO-8601 start (default: the first login seen).")] = None,
    end: Annotated[str | None, Query(alias="to", description="ISO-8601 end (default: the last call's end).")] = None,
    server_id: Annotated[str | None, Query(max_length=64, description="Only this PBX.")] = None,
) -> list[dict]:
    state: AppState = app_state(request)
    query = AgentStatsQuery(start=parse_when(state, start, "from"), end=parse_when(state, end, "to"), server_id=server_id)
    check_range(query.start, query.end, "from", "to")
    with state.sessions() as session:
        rows = agent_stats(session, query, wrapup_reasons=state.settings.wrapup_reasons, queue_wrapup_s=state.settings.queue_wrapup_s)
    if user.role is Role.AGENT:
        rows = [row for row in rows if row["interface"] in user.interfaces]
    return rows


@router.post(
    "/pause",
    response_model=PauseResult,
    summary="Pause or unpause an agent",
    description="Sends `QueuePause` to the PBX through this process's AMI bridge, with the reason Asterisk shows "
    "as `PausedReason` (and the wallboard beside the agent). Supervisors only; every attempt is audited. "
    "503 when no bridge is connected; 502 when Asterisk refuses (e.g. the interface is in no queue).",
    responses=responses(400, 401, 403, 422, 502, 503),
    openapi_extra=SUPERVISORS.openapi,
)
async def pause(request: Request, body: PauseRequest, user: Annotated[Principal, Depends(SUPERVISORS)]) -> dict:
    state: AppState = app_state(request)
    bridge = state.bridge
    action = "agent.pause" if body.paused else "agent.unpause"
    detail = {"reason": body.reason, "queue": body.queue, "server_id": body.server_id}

    def audit_attempt(result: str, message: str) -> None:
        with transaction(state.sessions) as session:
            audit.record(session, user.actor, action, body.interface, now=state.now(), result=result, message=message, **detail)

    if bridge is None or not bridge.connected:
        why = "no AMI bridge runs in this process (set HOTLINE_AMI_HOST)" if bridge is None else f"the AMI bridge to {bridge.server_id!r} is not connected"
        audit_attempt("unavailable", why)
        raise ApiError(503, "bridge_unavailable", f"cannot reach the PBX: {why}")
    if body.server_id is not None and body.server_id != bridge.server_id:
        audit_attempt("refused", f"no bridge to {body.server_id!r} here")
        raise invalid("server_id", f"this process reaches only the PBX {bridge.server_id!r}, not {body.server_id!r}")
    try:
        reply = await bridge.queue_pause(interface=body.interface, paused=body.paused, reason=body.reason, queue=body.queue)
    except AmiNotConnected as exc:
        audit_attempt("unavailable", str(exc))
        raise ApiError(503, "bridge_unavailable", f"cannot reach the PBX: {exc}") from None
    except AmiActionError as exc:
        message = exc.message
        audit_attempt("refused", message)
        raise ApiError(502, "pbx_refused", f"Asterisk refused QueuePause: {message}", field="interface") from None
    except TimeoutError:
        audit_attempt("timeout", "no answer from the PBX")
        raise ApiError(503, "bridge_unavailable", "the PBX did not answer QueuePause in time") from None
    message = _message_text(reply)
    audit_attempt("ok", message)
    return {"interface": body.interface, "paused": body.paused, "reason": body.reason, "queue": body.queue, "server_id": bridge.server_id, "message": message}


def _message_text(reply: object) -> str:
    get = getattr(reply, "get", None)
    if callable(get):
        return str(get("Message") or get("Response") or "")
    return ""

