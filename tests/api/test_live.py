"""The live feed (/api/live) under a real uvicorn, and across two ``hotline serve``
processes through Redis."""

from __future__ import annotations

import contextlib
import json
import time
import uuid

import pytest
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

import api.live_feed
import api.routers.live
from core.masking import mask_number
from api.app import create_app
from core.bus import EventBus
from tests.api.conftest import PASSWORD, FakeBridge, make_users, settings_for
from tests.api.servers import ServeProcess, ThreadedServer
from tests.api.test_masking import WAITING, bridge_with_a_waiting_caller

REDIS_URL = "redis://127.0.0.1:6379/0"


def call_event(event: str, caller: str, agent: str = "SIP/1001") -> dict:
    return {"type": "call", "server_id": "demo-ast20", "event": event, "linkedid": "9.1", "uniqueid": "9.1", "queue": "support",
            "caller": caller, "agent": agent, "disposition": None, "at": "2026-11-25T10:00:00+08:00", "received_at": time.time()}


def frames(ws, until, timeout=5.0):
    """Frames received until one satisfies ``until`` (which is returned last)."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got.append(json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic()))))
        if until(got[-1]):
            return got
    raise AssertionError(f"no such frame in {got}")


@pytest.fixture
def served(demo_db, users, monkeypatch):
    monkeypatch.setattr(api.live_feed, "HEARTBEAT_S", 0.3)
    bus = EventBus()
    bridge = bridge_with_a_waiting_caller()
    app = create_app(settings_for(demo_db), sessions=demo_db.sessions, bridge=bridge, bus=bus, run_bridge=False)
    with ThreadedServer(app) as server:
        server.bus = bus
        yield server


def auth(users, role):
    return {"Authorization": f"Bearer {users.tokens[role]}"}


def test_anonymous_and_forged_connections_are_closed_with_4401(served):
    for headers in ({}, {"Authorization": "Bearer hl_t_nope"}):
        with connect(served.ws_url + "/api/live", additional_headers=headers) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd.code == 4401


def test_snapshot_then_events_in_order_masked_per_role(served, users):
    with connect(served.ws_url + "/api/live", additional_headers=auth(users, "supervisor")) as sup, connect(served.ws_url + "/api/live", additional_headers=auth(users, "qa")) as qa:
        for ws, shown in ((sup, WAITING), (qa, mask_number(WAITING))):
            snapshot = json.loads(ws.recv(timeout=5))
            assert snapshot["type"] == "snapshot" and snapshot["bridges"] == {"demo-ast20": True}
            support = next(q for q in snapshot["queues"] if q["queue"] == "support" and q["server_id"] == "demo-ast20")
            assert support["callers"][0]["caller"] == shown and support["live"] is True
        rows = [{"queue": "support", "server_id": "demo-ast20", "callers_waiting": 0, "longest_wait_s": 0.0, "callers": [], "agents_logged_in": 1,
                 "agents_available": 0, "agents_on_call": 1, "agents_ringing": 0, "agents_paused": 0, "agents_unavailable": 0,
                 "agents": [{"interface": "SIP/1001", "name": "Agent Li", "status": "on_call", "paused_reason": ""}]}]
        served.call(served.bus.publish, call_event("answered", WAITING))
        served.call(served.bus.publish, {"type": "queues", "server_id": "demo-ast20", "queues": rows, "received_at": time.time()})
        served.call(served.bus.publish, {"type": "bridge", "server_id": "demo-ast20", "connected": False, "received_at": time.time()})
        for ws, shown in ((sup, WAITING), (qa, mask_number(WAITING))):
            got = [f for f in frames(ws, lambda f: f["type"] == "bridge") if f["type"] not in ("heartbeat", "today")]
            assert [f["type"] for f in got] == ["call", "queues", "bridge"]
            assert got[0]["caller"] == shown and got[1]["queues"][0]["agents_on_call"] == 1 and got[2]["connected"] is False


def test_agents_get_only_their_own_call_events(served, users):
    with connect(served.ws_url + "/api/live", additional_headers=auth(users, "agent")) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        served.call(served.bus.publish, call_event("joined", "5550001", agent=""))
        served.call(served.bus.publish, call_event("answered", "5550002", agent="SIP/1002"))
        served.call(served.bus.publish, call_event("answered", "5550003", agent="SIP/1001"))
        got = [f for f in frames(ws, lambda f: f["type"] == "call") if f["type"] == "call"]
        assert [f["caller"] for f in got] == ["*****03"]


def test_todays_statistics_follow_calls_that_end(served, users):
    with connect(served.ws_url + "/api/live", additional_headers=auth(users, "supervisor")) as ws:
        assert "today" in json.loads(ws.recv(timeout=5))
        served.call(served.bus.publish, call_event("ended", WAITING))
        today = frames(ws, lambda f: f["type"] == "today")[-1]
        assert isinstance(today["stats"], list)


def test_heartbeats_keep_coming_on_a_quiet_feed(served, users):
    with connect(served.ws_url + "/api/live", additional_headers=auth(users, "qa")) as ws:
        ws.recv(timeout=5)
        beats = [f for f in frames(ws, lambda f: f["type"] == "heartbeat") if f["type"] == "heartbeat"]
        assert beats and beats[0]["at"] > 0


def test_the_session_cookie_works_only_from_our_own_pages(served, users):
    import httpx

    with httpx.Client(base_url=served.url, follow_redirects=True) as browser:
        browser.get("/login")
        response = browser.post("/login", data={"username": "test-qa", "password": PASSWORD, "csrf": browser.cookies["hotline_csrf"], "next": "/wallboard"})
        assert response.status_code == 200 and "wallboard-config" in response.text
        cookie = f"hotline_session={browser.cookies['hotline_session']}"
    same_site = {"Cookie": cookie}
    with connect(served.ws_url + "/api/live", additional_headers=same_site, origin=served.url) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
    with connect(served.ws_url + "/api/live", additional_headers=same_site, origin="http://evil.example") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd.code == 4401


def test_a_revoked_token_loses_its_connection(demo_db, users, monkeypatch):
    monkeypatch.setattr(api.live_feed, "HEARTBEAT_S", 0.2)
    monkeypatch.setattr(api.routers.live, "RECHECK_S", 0.0)
    app = create_app(settings_for(demo_db), sessions=demo_db.sessions, bridge=FakeBridge(), run_bridge=False)
    with ThreadedServer(app) as server:
        import httpx

        token = httpx.post(server.url + "/api/tokens", json={"username": "test-qa", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        with connect(server.ws_url + "/api/live", additional_headers=headers) as ws:
            ws.recv(timeout=5)
            assert httpx.delete(f"{server.url}/api/tokens/{token['id']}", headers=headers).status_code == 204
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=5)
            assert closed.value.rcvd.code == 4401


def test_two_processes_serve_one_center_through_redis(database, tmp_path):
    """Two ``hotline serve`` processes, one Redis: an event published by either
    process's bridge relay reaches the WebSocket clients of both."""
    channel = f"hotline-test-{uuid.uuid4().hex[:8]}"
    env = {"HOTLINE_DATABASE_URL": database.url, "HOTLINE_REDIS_URL": REDIS_URL, "HOTLINE_REDIS_CHANNEL": channel, "HOTLINE_TIMEZONE": "UTC"}
    users = make_users(database)
    with ServeProcess(env) as first, ServeProcess(env) as second:
        with contextlib.ExitStack() as stack:
            sockets = [stack.enter_context(connect(p.ws_url + "/api/live", additional_headers={"Authorization": f"Bearer {users.tokens['supervisor']}"})) for p in (first, second)]
            for ws in sockets:
                assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
            publisher = redis.Redis.from_url(REDIS_URL)
            # Both processes subscribe at start-up; wait until Redis counts them.
            deadline = time.monotonic() + 10
            while publisher.pubsub_numsub(channel)[0][1] < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert publisher.pubsub_numsub(channel)[0][1] == 2
            publisher.publish(channel, json.dumps(call_event("joined", WAITING)))
            for ws in sockets:
                got = frames(ws, lambda f: f["type"] == "call", timeout=10)
                assert got[-1]["caller"] == WAITING


def test_agents_are_recognised_by_the_member_name_call_events_use(served, users):
    # The bridge names the answering agent as the queue does ("Agent Li"); the agent user
    # is linked by interface (SIP/1001, Agent Li's in the live state).
    with connect(served.ws_url + "/api/live", additional_headers=auth(users, "agent")) as ws:
        ws.recv(timeout=5)
        served.call(served.bus.publish, call_event("answered", None, agent="Agent Wang"))
        served.call(served.bus.publish, call_event("answered", None, agent="Agent Li"))
        got = [f for f in frames(ws, lambda f: f["type"] == "call") if f["type"] == "call"]
        assert [f["agent"] for f in got] == ["Agent Li"]


def test_a_client_that_falls_behind_gets_a_fresh_snapshot(served, users):
    served.app.state.hotline.feed.clients.queue_size = 3
    with connect(served.ws_url + "/api/live", additional_headers=auth(users, "supervisor")) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"

        def burst() -> None:  # ten events at once, before the connection's task can send any
            for n in range(10):
                served.bus.publish(call_event("joined", f"555000{n}"))

        served.call(burst)
        got = frames(ws, lambda f: f["type"] == "snapshot")
        calls = [f for f in got if f["type"] == "call"]
        assert len(calls) < 10  # some were dropped for this client …
        assert got[-1]["type"] == "snapshot"  # … and it was given the whole state again instead
