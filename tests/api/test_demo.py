"""``hotline demo``: the printout, then the server with a demo PBX playing live."""

from __future__ import annotations

import time

import httpx
from click.testing import CliRunner

from api.cli import main
from tests.api.servers import ServeProcess


def test_demo_without_serving_prints_the_call_log_and_statistics(db):
    result = CliRunner().invoke(main, ["demo", "--no-serve"], env={"HOTLINE_DATABASE_URL": db.url, "HOTLINE_TIMEZONE": "UTC"})
    assert result.exit_code == 0, result.output
    assert "demo-ast20: replayed" in result.output and "Queue statistics:" in result.output


def test_demo_serves_a_live_wallboard_with_a_supervisor_login(db):
    env = {"HOTLINE_DATABASE_URL": db.url, "HOTLINE_TIMEZONE": "UTC"}
    demo = ServeProcess(env, ("demo", "--speed", "20"))
    demo.args = (*demo.args, "--port", str(demo.port))
    with demo:
        assert httpx.get(demo.url + "/readyz").json()["bridge"]["connected"] is True
        deadline = time.monotonic() + 30
        token = None
        while time.monotonic() < deadline:
            # The login is printed before the server starts; read it from the running process's output so far.
            try:
                token = httpx.post(demo.url + "/api/tokens", json={"username": "demo", "password": demo.password()}).json()["token"]
                break
            except (KeyError, ValueError):
                time.sleep(0.2)
        assert token, "the printed demo login does not work"
        headers = {"Authorization": f"Bearer {token}"}
        calls: list = []
        while time.monotonic() < deadline and len(calls) < 3:
            calls = httpx.get(demo.url + "/api/calls", params={"server_id": "demo-live"}, headers=headers).json()["items"]
            time.sleep(0.3)
        assert len(calls) >= 3  # the demo PBX is playing: calls arrive live
        paused = httpx.post(demo.url + "/api/agents/pause", json={"interface": "SIP/1001", "paused": True, "reason": "培训"}, headers=headers)
        assert paused.status_code == 200, paused.text
        while time.monotonic() < deadline:
            agents = {a["interface"]: a for row in httpx.get(demo.url + "/api/queues/live", headers=headers).json() if row["server_id"] == "demo-live" for a in row["agents"]}
            if agents.get("SIP/1001", {}).get("paused_reason") == "培训":
                break
            time.sleep(0.2)
        assert agents["SIP/1001"]["status"] == "paused"


def test_the_demo_pbx_plays_again_with_new_call_ids():
    from api.demo_pbx import renumbered

    headers = [("Event", "Newchannel"), ("Uniqueid", "1795494751.0"), ("Linkedid", "1795494751.0"), ("Channel", "SIP/trunk-00000000"), ("Exten", "800")]
    assert renumbered(headers, 0) == headers
    again = dict(renumbered(headers, 2))
    assert again["Uniqueid"] == again["Linkedid"] == f"{1795494751 + 2 * 86400}.2000000"
    assert again["Channel"] == "SIP/trunk-00000000" and again["Exten"] == "800"
