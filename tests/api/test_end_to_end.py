"""End to end: a recorded trace over TCP into the real AMI bridge (the lead's fake AMI
server), through the live feed to WebSocket clients; pausing through the same bridge;
and a bridge in one ``hotline serve`` process feeding the clients of another through Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
import uuid

import httpx
from websockets.sync.client import connect

from ami_bridge.bridge import AmiBridge
from api.app import create_app
from core.bus import EventBus
from tests.ami_bridge.fake_ami import FakeAmi, load_jsonl
from tests.api.conftest import make_users, settings_for
from tests.api.servers import ServeProcess, ThreadedServer
from tests.conftest import DATA

REDIS_URL = "redis://127.0.0.1:6379/0"


@contextlib.contextmanager
def fake_pbx(trace: str, *, speed: float):
    """The fake AMI server on its own event loop; yields (fake, port)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    banner, messages = load_jsonl(DATA / "ami" / f"{trace}.jsonl", timestamps=True)
    fake = FakeAmi(banner, messages, speed=speed)
    port = asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    try:
        yield fake, port
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def collect(ws, seconds: float, until=lambda frames: False) -> list[tuple[float, dict]]:
    """(arrival time, frame) for what arrives within ``seconds`` or until ``until(frames)``."""
    got: list[tuple[float, dict]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0 and not until([f for _, f in got]):
        try:
            text = ws.recv(timeout=left)
        except TimeoutError:
            break
        got.append((time.time(), json.loads(text)))
    return got


def ended_calls(server_id: str, count: int):
    return lambda frames: sum(f["type"] == "call" and f["event"] == "ended" and f["server_id"] == server_id for f in frames) >= count


def test_a_trace_over_tcp_reaches_websocket_clients_within_a_second(demo_db, users):
    with fake_pbx("busy_queue", speed=12.0) as (fake, port):
        settings = settings_for(demo_db, ami_host="127.0.0.1", ami_port=port, ami_username="bridge", ami_secret="bridgepw", server_id="pbx-e2e", ami_reconnect_max_s=0.5)
        bus = EventBus()
        bridge = AmiBridge(settings, demo_db.sessions, bus=bus)
        with ThreadedServer(create_app(settings, sessions=demo_db.sessions, bridge=bridge, bus=bus)) as server:
            headers = {"Authorization": f"Bearer {users.tokens['supervisor']}"}
            with connect(server.ws_url + "/api/live", additional_headers=headers) as ws, connect(server.ws_url + "/api/live", additional_headers={"Authorization": f"Bearer {users.tokens['qa']}"}) as qa:
                frames = collect(ws, 30.0, ended_calls("pbx-e2e", 24))
                qa_frames = collect(qa, 5.0, ended_calls("pbx-e2e", 24))
            kinds = {f["type"] for _, f in frames}
            assert {"snapshot", "queues", "call"} <= kinds
            calls = [f for _, f in frames if f["type"] == "call" and f["server_id"] == "pbx-e2e"]
            assert {"joined", "answered", "ended"} <= {c["event"] for c in calls}
            assert any(c["caller"] == "5551234" for c in calls)
            assert all("5551234" not in json.dumps(f) for _, f in qa_frames)
            # AMI message received → frame delivered, for every event the bridge published.
            delays = [arrived - f["received_at"] for arrived, f in frames if "received_at" in f]
            assert delays and max(delays) < 1.0, max(delays)

            # The same bridge carries a pause, and the probes and metrics see it.
            assert httpx.get(server.url + "/readyz").json()["bridge"] == {"configured": True, "connected": True, "server_id": "pbx-e2e"}
            response = httpx.post(server.url + "/api/agents/pause", json={"interface": "SIP/1001", "paused": True, "reason": "培训"}, headers={"Authorization": f"Bearer {users.tokens['supervisor']}"})
            assert response.status_code == 200 and response.json()["message"] == "Interface paused successfully"
            assert {"Action": "QueuePause", "Interface": "SIP/1001", "Paused": "true", "Reason": "培训"}.items() <= fake.actions[-1].items()
            metrics = httpx.get(server.url + "/metrics").text
            counted = float(re.search(r'^hotline_ami_messages_total\{server_id="pbx-e2e"\} (\S+)$', metrics, re.M).group(1))
            assert counted >= len(fake.messages)  # the trace, plus the answers to the bridge's own actions
            assert 'hotline_ami_connected{server_id="pbx-e2e"} 1.0' in metrics
            calls_api = httpx.get(server.url + "/api/calls", params={"server_id": "pbx-e2e", "limit": 1000}, headers=headers).json()["items"]
            assert len(calls_api) == 24 and {c["disposition"] for c in calls_api} == {"answered"}


def test_the_bridge_in_one_process_feeds_the_clients_of_another_through_redis(database):
    channel = f"hotline-test-{uuid.uuid4().hex[:8]}"
    users = make_users(database)
    common = {"HOTLINE_DATABASE_URL": database.url, "HOTLINE_REDIS_URL": REDIS_URL, "HOTLINE_REDIS_CHANNEL": channel, "HOTLINE_TIMEZONE": "UTC"}
    headers = {"Authorization": f"Bearer {users.tokens['supervisor']}"}
    with ServeProcess(common) as api_only, fake_pbx("pjsip22_exits", speed=8.0) as (fake, port):
        bridge_env = {**common, "HOTLINE_AMI_HOST": "127.0.0.1", "HOTLINE_AMI_PORT": str(port), "HOTLINE_AMI_USERNAME": "bridge", "HOTLINE_AMI_SECRET": "bridgepw", "HOTLINE_SERVER_ID": "pbx-redis"}
        with connect(api_only.ws_url + "/api/live", additional_headers=headers) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
            with ServeProcess(bridge_env) as with_bridge:
                frames = collect(ws, 30.0, ended_calls("pbx-redis", 4))
                log_holder = with_bridge
            events = [f for _, f in frames if f.get("server_id") == "pbx-redis"]
            assert {"bridge", "queues", "call"} <= {f["type"] for f in events}, [f["type"] for _, f in frames]
            assert {"exited", "abandoned", "ended"} <= {f["event"] for f in events if f["type"] == "call"}
            delays = [arrived - f["received_at"] for arrived, f in frames if f.get("server_id") == "pbx-redis" and "received_at" in f]
            assert max(delays) < 1.0
    assert "bridgepw" not in log_holder.output()  # the AMI secret never reaches the log
