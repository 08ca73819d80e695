"""Probes and metrics: ``/healthz`` (the process answers), ``/readyz`` (it can do its
job: the database answers and, where this process runs a bridge, the bridge is
connected), ``/metrics`` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from api.auth import PUBLIC
from api.schemas import Health, Readiness
from api.state import AppState, app_state

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Liveness", description="200 while the process serves requests.", openapi_extra=PUBLIC)
def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    description="200 when the database answers and, if this process runs an AMI bridge, the bridge is connected; 503 otherwise (same body).",
    responses={503: {"model": Readiness, "description": "Not ready: the body says which part is missing."}},
    openapi_extra=PUBLIC,
)
def readyz(request: Request) -> JSONResponse:
    state: AppState = app_state(request)
    try:
        with state.sessions() as session:
            session.execute(text("SELECT 1"))
        database = True
    except Exception:
        database = False
    bridge = state.bridge
    bridge_info = {"configured": bridge is not None, "connected": bool(bridge and bridge.connected), "server_id": bridge.server_id if bridge else None}
    ready = database and (bridge is None or bridge.connected)
    return JSONResponse({"ready": ready, "database": database, "bridge": bridge_info}, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="AMI messages (rate() for per second), bridge lag, reconnects, queue gauges, live-feed clients and HTTP latency.",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text exposition format."}},
    openapi_extra=PUBLIC,
)
async def metrics(request: Request) -> Response:
    # In the event loop: the collectors read the bridge's live state, which only this thread moves.
    state: AppState = app_state(request)
    assert state.metrics is not None
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
