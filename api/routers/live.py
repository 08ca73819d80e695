"""``/api/live``: the live feed over a WebSocket.

On connect: one ``snapshot`` frame (every queue's live state, today's statistics, which
bridges are connected). Then, as they happen: ``queues`` (a PBX's queue and agent state
changed), ``call`` (joined, answered, abandoned, exited, ended …), ``bridge`` (a bridge
connected or lost its PBX), ``today`` (statistics changed) and a ``heartbeat`` every 10 s,
so a client can tell a quiet center from a lost feed. A client that falls behind gets a
fresh ``snapshot`` instead of the events it missed.

Authenticated by a bearer token (``Authorization`` header) or, for the wallboard page, the
session cookie. Close codes: 4401 not authenticated, 4403 role not allowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, websocket_principal
from api.errors import ApiError
from api.live_feed import LiveFeed, encode
from api.state import AppState
from core import audit
from core.db import transaction
from core.users import Role

router = APIRouter()
ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.QA, Role.AGENT})
#: How often a connection re-checks that its credential is still valid (revocation, disabling).
RECHECK_S = 60.0


def _visible(frame: dict, principal: Principal, feed: LiveFeed) -> bool:
    # An agent sees queue state, but only its own calls' events.
    if principal.role is Role.AGENT and frame["type"] == "call":
        return bool(frame["agents"] and frame["agents"] & feed.identities(principal.interfaces))
    return True


async def _snapshot(state: AppState, feed: LiveFeed, principal: Principal) -> str:
    value = await feed.snapshot(full_numbers=principal.full_numbers)
    waiting = sum(row["callers_waiting"] for row in value["queues"])
    if principal.full_numbers and waiting:

        def record() -> None:
            with transaction(state.sessions) as session:
                audit.record(session, principal.actor, "live.read", f"{waiting} waiting callers", now=state.now())

        await run_in_threadpool(record)
    return encode(value)


@router.websocket("/api/live")
async def live(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.hotline
    feed = state.feed
    assert feed is not None
    try:
        principal = await run_in_threadpool(websocket_principal, websocket)
    except ApiError:
        principal = None
    await websocket.accept()
    if principal is None:
        await websocket.close(code=4401, reason="not authenticated")
        return
    if principal.role not in ROLES:
        await websocket.close(code=4403, reason="role not allowed")
        return
    view = "full" if principal.full_numbers else "masked"
    subscription = feed.clients.subscribe()

    async def reader() -> None:
        # Clients send nothing we need; reading notices a closed connection at once.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    reading = asyncio.create_task(reader())
    checked = time.monotonic()
    try:
        await websocket.send_text(await _snapshot(state, feed, principal))
        while not reading.done():
            getting = asyncio.ensure_future(subscription.get())
            done, _ = await asyncio.wait({getting, reading}, return_when=asyncio.FIRST_COMPLETED)
            if getting not in done:
                getting.cancel()
                break
            frame = getting.result()
            if frame is None or frame["type"] == "resync":
                if frame is None:  # fell behind and was dropped: start again from a snapshot
                    subscription = feed.clients.subscribe()
                await websocket.send_text(await _snapshot(state, feed, principal))
                continue
            if frame["type"] == "heartbeat" and time.monotonic() - checked > RECHECK_S:
                checked = time.monotonic()
                try:
                    still = await run_in_threadpool(websocket_principal, websocket)
                except ApiError:
                    still = None
                if still is None:
                    await websocket.close(code=4401, reason="credential revoked or expired")
                    break
            if _visible(frame, principal, feed):
                await websocket.send_text(frame[view])
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        subscription.close()
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reading
