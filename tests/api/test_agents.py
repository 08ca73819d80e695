"""Agents: the list with live status, statistics, and pausing through the bridge."""

from __future__ import annotations

from tests.api.conftest import FakeBridge
from tests.api.test_masking import bridge_with_a_waiting_caller

PAUSE = {"interface": "SIP/1001", "paused": True, "reason": "coaching"}


def test_pausing_goes_through_the_bridge_and_is_audited(make_client, users):
    bridge = FakeBridge()
    client = make_client(bridge=bridge)
    response = client.post("/api/agents/pause", json=PAUSE, headers=users.headers("supervisor"))
    assert response.status_code == 200, response.text
    assert response.json() == {"interface": "SIP/1001", "paused": True, "reason": "coaching", "queue": None, "server_id": "demo-ast20", "message": "Interface paused successfully"}
    assert bridge.pauses == [{"interface": "SIP/1001", "paused": True, "reason": "coaching", "queue": None}]
    entry = client.get("/api/audit", params={"action": "agent"}, headers=users.headers("admin")).json()["items"][0]
    assert (entry["actor"], entry["action"], entry["target"]) == ("test-supervisor", "agent.pause", "SIP/1001")
    assert entry["detail"]["reason"] == "coaching" and entry["detail"]["result"] == "ok"


def test_pausing_without_a_connected_bridge_is_a_clear_503(make_client, users):
    for bridge, says in ((None, "no AMI bridge runs in this process"), (FakeBridge(connected=False), "is not connected")):
        client = make_client(bridge=bridge)
        response = client.post("/api/agents/pause", json=PAUSE, headers=users.headers("supervisor"))
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "bridge_unavailable" and says in error["message"]
    entry = client.get("/api/audit", params={"action": "agent.pause"}, headers=users.headers("admin")).json()["items"][0]
    assert entry["detail"]["result"] == "unavailable"


def test_pause_input_is_checked(make_client, users):
    client = make_client(bridge=FakeBridge())
    for body, field in (
        ({**PAUSE, "interface": "1001"}, "interface"),
        ({**PAUSE, "reason": "lunch\r\nAction: Originate"}, "reason"),  # no AMI header injection
        ({**PAUSE, "server_id": "elsewhere"}, "server_id"),
        ({"interface": "SIP/1001"}, "paused"),
    ):
        response = client.post("/api/agents/pause", json=body, headers=users.headers("supervisor"))
        assert response.status_code == 422 and response.json()["error"]["field"] == field, response.text


def test_agents_list_shows_live_status_and_linked_users(make_client, users):
    client = make_client(bridge=bridge_with_a_waiting_caller())
    agents = {a["interface"]: a for a in client.get("/api/agents", headers=users.headers("supervisor")).json()}
    li = agents["SIP/1001"]
    assert li["user"] == "test-agent" and li["status"] == "available"
    assert {"server_id": "demo-ast20", "queue": "support", "status": "available", "paused_reason": ""} in li["queues"]


def test_agent_statistics_match_the_command_line(make_client, users, demo_db):
    import json

    from click.testing import CliRunner

    from api.cli import main

    client = make_client()
    api_rows = client.get("/api/agents/stats", headers=users.headers("qa")).json()
    cli = CliRunner().invoke(main, ["agents", "stats", "--json"], env={"HOTLINE_DATABASE_URL": demo_db.url, "HOTLINE_TIMEZONE": "Asia/Shanghai"})
    assert api_rows == json.loads(cli.output) and api_rows


def test_queue_statistics_and_calls_match_the_command_line(make_client, users, demo_db):
    import json

    from click.testing import CliRunner

    from api.cli import main

    client = make_client()
    env = {"HOTLINE_DATABASE_URL": demo_db.url, "HOTLINE_TIMEZONE": "Asia/Shanghai"}
    for params, args in (({}, []), ({"from": "2026-11-24", "to": "2026-11-27", "interval": "day"}, ["--from", "2026-11-24", "--to", "2026-11-27", "--interval", "day"])):
        api_rows = client.get("/api/queues/stats", params=params, headers=users.headers("qa")).json()
        cli_rows = json.loads(CliRunner().invoke(main, ["queues", "stats", "--json", *args], env=env).output)
        assert api_rows == cli_rows and api_rows
    cli_calls = json.loads(CliRunner().invoke(main, ["calls", "list", "--json", "--queue", "support"], env=env).output)
    pages, cursor = [], None
    while True:
        body = client.get("/api/calls", params={"queue": "support", "limit": 7, **({"cursor": cursor} if cursor else {})}, headers=users.headers("supervisor")).json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [c for page in pages for c in page] == cli_calls and len(pages) > 2
    detail = client.get("/api/calls/demo-ast20/1795495540.130", headers=users.headers("supervisor")).json()
    cli_detail = json.loads(CliRunner().invoke(main, ["calls", "show", "1795495540.130", "--server-id", "demo-ast20", "--json"], env=env).output)
    assert detail == cli_detail
    live = client.get("/api/queues/live", headers=users.headers("supervisor")).json()
    cli_live = json.loads(CliRunner().invoke(main, ["queues", "live", "--json"], env=env).output)
    assert [(r["server_id"], r["queue"]) for r in live] == [(r["server_id"], r["queue"]) for r in cli_live]
    assert set(live[0]) == set(cli_live[0])


def test_a_refusal_from_asterisk_is_a_502_with_its_message(make_client, users):
    from ami_bridge.connection import AmiActionError

    class Refusing(FakeBridge):
        async def queue_pause(self, **_kwargs):
            raise AmiActionError("QueuePause", "Interface not found")

    client = make_client(bridge=Refusing())
    response = client.post("/api/agents/pause", json={**PAUSE, "interface": "PJSIP/9999"}, headers=users.headers("supervisor"))
    assert response.status_code == 502
    assert response.json()["error"] == {"code": "pbx_refused", "message": "Asterisk refused QueuePause: Interface not found", "field": "interface"}
    entry = client.get("/api/audit", params={"action": "agent.pause"}, headers=users.headers("admin")).json()["items"][0]
    assert entry["detail"]["result"] == "refused" and entry["target"] == "PJSIP/9999"
