"""Fixtures for the API: a database holding the real demo traces, one user (and token)
per role, and the app under Starlette's TestClient, with a stand-in for the AMI bridge
where a test needs one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ami_bridge.live_state import LiveState
from ami_bridge.replay import replay_files
from api.app import create_app
from api.cli.demo import DEMO_TRACES
from core import credentials
from core.bus import EventBus
from core.db import Base, transaction
from core.settings import Settings
from core.users import Role, add_user
from tests.conftest import DATA, Database

PASSWORD = "correct horse battery"
#: The agent user answers on Agent Li's interfaces in the traces.
AGENT_INTERFACES = ["SIP/1001", "PJSIP/1001"]


def settings_for(db: Database, **overrides: Any) -> Settings:
    return Settings(_env_file=None, database_url=db.url, timezone="Asia/Shanghai", **overrides)  # type: ignore[call-arg]


def fill_with_demo_traces(db: Database) -> None:
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    for server_id, names in DEMO_TRACES.items():
        replay_files([DATA / "ami" / f"{name}.jsonl" for name in names], db.sessions, server_id=server_id, ivr_endpoints=frozenset(["ivr"]))


@pytest.fixture(scope="module")
def demo_db(database: Database) -> Database:
    """The database with every bundled trace replayed (once per module and store)."""
    fill_with_demo_traces(database)
    return database


@dataclass
class Users:
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_users(db: Database) -> Users:
    now = datetime.now(timezone.utc)
    users = Users()
    with transaction(db.sessions) as session:
        for role in Role:
            name = f"test-{role.value}"
            from core.users import get_user

            user = get_user(session, name) or add_user(session, name, role, PASSWORD, interfaces=AGENT_INTERFACES if role is Role.AGENT else [], now=now)
            users.tokens[role.value] = credentials.issue(session, user, "token", ttl=timedelta(days=1), now=now, name="tests").secret
    return users


@dataclass
class FakeStats:
    messages: int = 0
    reconnects: int = 0
    last_message_at: float | None = None
    lag_s: float = 0.0


class FakeBridge:
    """Stands in for ``ami_bridge.bridge.AmiBridge`` where a test needs a connected PBX
    without one; records the actions it is asked to send."""

    def __init__(self, server_id: str = "demo-ast20", *, connected: bool = True) -> None:
        self.server_id = server_id
        self.live = LiveState()
        self.stats = FakeStats()
        self._connected = connected
        self.pauses: list[dict[str, Any]] = []

    @property
    def connected(self) -> bool:
        return self._connected

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def queue_pause(self, *, interface: str, paused: bool, reason: str = "", queue: str | None = None) -> dict[str, str]:
        self.pauses.append({"interface": interface, "paused": paused, "reason": reason, "queue": queue})
        return {"Response": "Success", "Message": "Interface paused successfully" if paused else "Interface unpaused successfully"}


@pytest.fixture
def make_client(demo_db: Database, users: Users) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(*, bridge: Any = None, bus: EventBus | None = None, **overrides: Any) -> TestClient:
        app = create_app(settings_for(demo_db, **overrides), sessions=demo_db.sessions, bridge=bridge, bus=bus, run_bridge=False)
        client = TestClient(app, base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def users(demo_db: Database) -> Users:
    return make_users(demo_db)
