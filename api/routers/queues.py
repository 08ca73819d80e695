"""``/api/queues``: statistics (as ``hotline queues stats``) and live state (as ``hotline queues live``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ami_bridge.intervals import Interval
from ami_bridge.queries.queue_stats import StatsQuery, queue_stats
from api.auth import ANY_USER, STAFF, Principal
from api.errors import responses
from api.params import check_range, parse_when
from api.redaction import for_viewer
from api.schemas import LiveQueue, QueueStats
from api.state import AppState, app_state
from core import audit
from core.db import transaction

router = APIRouter(prefix="/api/queues", tags=["queues"])


@router.get(
    "/stats",
    response_model=list[QueueStats],
    summary="Queue statistics",
    description="One row per queue (and per interval when `interval` is given) with the fields of "
    "`hotline queues stats --json`: offered, answered, abandoned, exited, service level, ASA, AHT … "
    "Callers are counted in the interval in which they joined. Without `from`/`to`: everything stored.",
    responses=responses(401, 403, 422),
    openapi_extra=STAFF.openapi,
)
def stats(
    request: Request,
    user: Annotated[Principal, Depends(STAFF)],
    start: Annotated[str | None, Query(alias="from", description="Callers who joined at or after this ISO-8601 time.", examples=["2026-11-24"])] = None,
    end: Annotated[str | None, Query(alias="to", description="Callers who joined before this ISO-8601 time.", examples=["2026-11-25"])] = None,
    interval: Annotated[Literal["15m", "30m", "1h", "day", "month"] | None, Query(description="One row per queue and interval.")] = None,
    queue: Annotated[str | None, Query(max_length=128, description="Only this queue.")] = None,
    server_id: Annotated[str | None, Query(max_length=64, description="Only this PBX.")] = None,
) -> list[dict]:
    state: AppState = app_state(request)
    query = StatsQuery(
        start=parse_when(state, start, "from"), end=parse_when(state, end, "to"),
        interval=Interval.parse(interval) if interval else None, queue=queue, server_id=server_id,
    )
    check_range(query.start, query.end, "from", "to")
    settings = state.settings
    with state.sessions() as session:
        return queue_stats(
            session, query, zone=state.zone, short_abandon_s=settings.short_abandon_s,
            default_service_level_s=settings.default_service_level_s, wrapup_reasons=settings.wrapup_reasons,
            queue_wrapup_s=settings.queue_wrapup_s,
        )


@router.get(
    "/live",
    response_model=list[LiveQueue],
    summary="Live queue state",
    description="Per PBX and queue: callers waiting (with their positions and waits), the longest wait, and "
    "every member's status, as `hotline queues live --json` prints them. `live` is false for a PBX whose "
    "bridge is not running (its last snapshot is shown as of `as_of`). Subscribe to `/api/live` (WebSocket) for changes.",
    responses=responses(401, 403),
    openapi_extra=ANY_USER.openapi,
)
async def live(request: Request, user: Annotated[Principal, Depends(ANY_USER)]) -> list[dict]:
    state: AppState = app_state(request)
    assert state.feed is not None
    rows = await state.feed.queue_rows()
    waiting = sum(row["callers_waiting"] for row in rows)
    if user.full_numbers and waiting:

        def record() -> None:
            with transaction(state.sessions) as session:
                audit.record(session, user.actor, "queues.live.read", f"{waiting} waiting callers", now=state.now())

        await run_in_threadpool(record)
    return for_viewer(rows, user.full_numbers)
