"""What every request handler reaches through ``request.app.state.hotline``: settings,
the database, the center's zone, the AMI bridge (when this process runs one), the live
feed and the metrics registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Protocol

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from core.login import LoginPolicy
from core.settings import Settings

if TYPE_CHECKING:
    from api.live_feed import LiveFeed
    from api.metrics import Metrics


class BridgeStatsLike(Protocol):
    messages: int
    reconnects: int
    last_message_at: float | None
    lag_s: float


class BridgeLike(Protocol):
    """What the API uses of ``ami_bridge.bridge.AmiBridge``."""

    server_id: str
    live: object  # ami_bridge.live_state.LiveState
    stats: BridgeStatsLike

    @property
    def connected(self) -> bool: ...

    async def run(self) -> None: ...

    async def queue_pause(self, *, interface: str, paused: bool, reason: str = "", queue: str | None = None) -> object: ...


@dataclass
class AppState:
    settings: Settings
    sessions: sessionmaker[Session]
    zone: tzinfo
    bridge: BridgeLike | None = None
    feed: LiveFeed | None = None
    metrics: Metrics | None = None
    #: Whether the app's lifespan runs ``bridge.run()`` (``hotline serve``) or someone else does (tests).
    run_bridge: bool = True

    @property
    def login_policy(self) -> LoginPolicy:
        s = self.settings
        return LoginPolicy(s.login_max_failures_per_account, s.login_max_failures_per_address, timedelta(seconds=s.login_window_s))

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def app_state(request: Request) -> AppState:
    return request.app.state.hotline
