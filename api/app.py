"""The FastAPI application: API routers, the live feed, the pages, metrics and probes.

``create_app`` takes everything it needs (settings, database, bridge, bus) instead of
reading globals, so ``hotline serve``, tests and benchmarks build the same app.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from api import errors, openapi
from api.live_feed import LiveFeed
from api.metrics import HttpMetricsMiddleware, Metrics
from api.routers import agents, audit, calls, health, live, queues, tokens
from api.state import AppState, BridgeLike
from core.bus import EventBus
from core.db import make_engine, make_sessionmaker
from core.settings import Settings
from core.times import center_zone

DESCRIPTION = """Hotline's API: the call log, queue statistics and live state of an Asterisk call center.

**Authentication.** Get a token with `POST /api/tokens` (user name and password), then send
`Authorization: Bearer <token>`. Each route lists the roles that may use it (`x-roles`).

**Errors** always have the shape `{"error": {"code", "message", "field"}}`.

**Paging.** Lists return `{"items": [...], "next_cursor": ...}`; pass `next_cursor` back as `cursor`.

**Times** are ISO-8601; a time without an offset is read in the center's zone (HOTLINE_TIMEZONE).

**Callers' numbers** are masked (`138****8000`) for roles that may not see them in full.

**Live feed:** WebSocket `/api/live` (same token, or the pages' session cookie)."""

TAGS = [
    {"name": "calls", "description": "The call log built from AMI events."},
    {"name": "queues", "description": "Queue statistics and live queue state."},
    {"name": "agents", "description": "Agents: live status, statistics, pausing."},
    {"name": "authentication", "description": "API tokens."},
    {"name": "audit", "description": "The access audit log."},
    {"name": "operations", "description": "Probes and metrics."},
]


def create_app(
    settings: Settings,
    *,
    sessions: sessionmaker[Session] | None = None,
    bridge: BridgeLike | None = None,
    bus: EventBus | None = None,
    run_bridge: bool = True,
) -> FastAPI:
    """The app. ``bus`` is where ``bridge`` publishes its events (a new one when not given);
    with ``run_bridge`` the app's lifespan runs ``bridge.run()`` in its own event loop."""
    if sessions is None:
        sessions = make_sessionmaker(make_engine(settings.database_url))
    state = AppState(settings=settings, sessions=sessions, zone=center_zone(settings.timezone), bridge=bridge, run_bridge=run_bridge)
    state.feed = LiveFeed(state, bus if bus is not None else EventBus())
    state.metrics = Metrics(state)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        assert state.feed is not None
        await state.feed.start()
        bridge_task = None
        if state.bridge is not None and state.run_bridge:
            bridge_task = asyncio.get_running_loop().create_task(state.bridge.run(), name="ami-bridge")
        try:
            yield
        finally:
            if bridge_task is not None:
                bridge_task.cancel()
                try:
                    await bridge_task
                except (asyncio.CancelledError, Exception):
                    pass
            await state.feed.stop()

    app = FastAPI(
        title="Hotline", version="0.1.0", description=DESCRIPTION, openapi_tags=TAGS, lifespan=lifespan,
        docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json",
    )
    app.state.hotline = state
    errors.install(app)
    for router in (calls.router, queues.router, agents.router, tokens.router, audit.router, health.router, live.router):
        app.include_router(router)
    from api import pages

    pages.install(app)
    app.add_middleware(HttpMetricsMiddleware, metrics=state.metrics)
    app.openapi = lambda: openapi.build(app)  # type: ignore[method-assign]
    return app
