"""A call's detail shows the IVR path its caller took (journeys joined in api)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from api.cli import main
from ivr import actions as a
from ivr.journeys import CallIds, JourneyStore
from tests.conftest import DATA


def test_call_detail_carries_the_ivr_path(db):
    env = {"HOTLINE_DATABASE_URL": db.url, "HOTLINE_TIMEZONE": "Asia/Shanghai", "HOTLINE_SERVER_ID": "pbx22"}
    assert CliRunner().invoke(main, ["replay", str(DATA / "ami" / "agi22_replies.jsonl")], env=env).exit_code == 0
    # The FastAGI server's journey of this call (agi22_replies: keys 1, 2, # then the queue).
    ids = CallIds("pbx22", "1795640351.0", "1795640351.0", "hotline-zh")
    steps = [
        a.Step("welcome", "play", 1795640352.0, 1795640354.0, ["welcome"]),
        a.Step("main_menu", "menu", 1795640354.0, 1795640357.0, ["menu"], digits="1", outcome="1"),
        a.Step("repair_queue", "queue", 1795640365.0, 1795640370.0, outcome="answered"),
    ]
    JourneyStore(db.sessions).save_journey(ids, steps, started_at=1795640352.0, ended_at=1795640372.0, outcome="hangup")
    detail = json.loads(CliRunner().invoke(main, ["calls", "show", "1795640351.0", "--json"], env=env).output)
    assert [(s["node"], s["digits"], s["outcome"]) for s in detail["ivr_path"]] == [("welcome", "", ""), ("main_menu", "1", "1"), ("repair_queue", "", "answered")]
    assert detail["ivr_path"][0]["at"].endswith("+08:00")
    text = CliRunner().invoke(main, ["calls", "show", "1795640351.0"], env=env).output
    assert "IVR path:" in text and "main_menu (menu)  keys 1" in text
