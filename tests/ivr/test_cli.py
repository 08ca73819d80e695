"""``hotline ivr …`` from the command line, on the sample flows and on both stores."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner

from api.cli import main
from core.db import Base
from ivr import actions as a
from ivr.journeys import CallIds, JourneyStore
from tests.ivr.conftest import FLOWS

SAMPLES = sorted(p.name for p in FLOWS.glob("*.yaml"))


def cli(*args: str, db=None, code: int = 0) -> str:
    env = {"HOTLINE_TIMEZONE": "Asia/Shanghai", "HOTLINE_IVR_FLOWS_DIR": str(FLOWS)}
    if db is not None:
        env["HOTLINE_DATABASE_URL"] = db.url
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_samples_cover_the_brief():
    assert {"hotline-zh.yaml", "hotline-en.yaml", "emergency-zh.yaml", "emergency-en.yaml"} <= set(SAMPLES)


def test_validator_accepts_every_sample_flow():
    cli("ivr", "validate", *[str(FLOWS / name) for name in SAMPLES])


@pytest.mark.parametrize("name", SAMPLES)
def test_coverage_reaches_every_node_of_the_sample_flows(name):
    out = cli("ivr", "simulate", str(FLOWS / name), "--coverage", "--at", "2026-11-24T21:30")
    reached, total = out.split(": ", 1)[1].split(" nodes")[0].split(" of ")
    assert reached == total and int(total) >= 5
    assert "never reached" not in out


def test_coverage_reports_a_dead_branch(write_flow):
    path = write_flow("""
    hotline_flow: 1
    start: b
    prompts: {bye: 再见}
    caller_lists: {vip: ["13800138000"]}
    schedules:
      always: {weekly: {daily: "00:00-24:00"}}
    nodes:
      b:
        type: branch
        cases:
          - {schedule: always, goto: bye}
          - {caller_in: vip, goto: vip}
        else: bye
      vip: {type: hangup, prompt: bye}
      bye: {type: hangup, prompt: bye}
    """)
    out = cli("ivr", "simulate", str(path), "--coverage", code=1)
    assert "1 of 3 nodes reached" not in out and "2 of 3 nodes reached" in out
    assert "never reached: vip" in out


def test_validate_prints_every_problem_and_exits_1(write_flow):
    path = write_flow("""
    hotline_flow: 1
    start: main
    nodes:
      main: {type: menu, prompt: m, options: {"1": nowhere}}
    """)
    out = cli("ivr", "validate", str(path), str(FLOWS / "hotline-zh.yaml"), code=1)
    lines = [line for line in out.splitlines() if line.startswith(str(path))]
    assert lines == [
        f"{path}:4:30: menu node 'main': no prompt named 'm' in prompts",
        f"{path}:4:48: menu node 'main' (1): no node named 'nowhere'",
    ]
    assert "1 of 2 flow file(s) have problems" in out


def test_simulate_an_after_hours_enquiry_with_a_callback():
    out = cli("ivr", "simulate", str(FLOWS / "hotline-zh.yaml"), "--digits", "3,1", "--at", "2026-11-24T21:30", "--caller", "13912345670")
    assert "at 2026-11-24T21:30:00+08:00, caller 13912345670" in out
    assert "咨询服务时间为工作日8点至20点" in out  # the after-hours message
    assert "callback request: call 13912345670 back by 2026-11-25T08:00+08:00" in out  # the next opening
    assert out.rstrip().endswith("outcome: hangup at goodbye")


def test_simulate_the_english_hotline_repair_at_night_into_voicemail():
    out = cli("ivr", "simulate", str(FLOWS / "hotline-en.yaml"), "--digits", "1", "--at", "2026-11-24T23:00", "--queue", "timeout")
    assert "Our night shift will take your call" in out
    assert "joins queue night" in out and "voicemail saved" in out
    assert out.rstrip().endswith("outcome: hangup at message_thanks")


def test_simulate_refuses_bad_input(write_flow):
    out = cli("ivr", "simulate", str(FLOWS / "hotline-zh.yaml"), "--at", "yesterday", code=2)
    assert "--at" in out and "ISO-8601" in out


def test_migration_matches_the_models(db):
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def _journey(store: JourneyStore, uniqueid: str, started: str, steps: list[tuple[str, str, str, int, int]]) -> None:
    at = datetime.fromisoformat(started).timestamp()
    ids = CallIds("pbx1", uniqueid, uniqueid, "hotline-zh", caller="13800000000")
    store.save_journey(ids, [a.Step(node, kind, at + i, at + i + 1, outcome=outcome, timeouts=t, invalid=inv)
                             for i, (node, kind, outcome, t, inv) in enumerate(steps)], started_at=at, ended_at=at + 60, outcome=steps[-1][2])


def test_stats_per_node_on_both_stores(db):
    store = JourneyStore(db.sessions)
    _journey(store, "1.1", "2026-11-24T10:00:00+08:00", [("main", "menu", "1", 1, 0), ("repair", "branch", "open:day_shift", 0, 0), ("repair_queue", "queue", "answered", 0, 0)])
    _journey(store, "1.2", "2026-11-24T11:00:00+08:00", [("main", "menu", "1", 0, 2), ("repair", "branch", "else", 0, 0), ("night_queue", "queue", "caller_hangup", 0, 0)])
    _journey(store, "1.3", "2026-11-24T12:00:00+08:00", [("main", "menu", "caller_hangup", 1, 0)])
    _journey(store, "1.4", "2026-11-25T12:00:00+08:00", [("main", "menu", "3", 0, 0)])  # outside --to
    rows = json.loads(cli("ivr", "stats", str(FLOWS / "hotline-zh.yaml"), "--from", "2026-11-24", "--to", "2026-11-25", "--json", db=db))
    by_node = {row["node"]: row for row in rows}
    assert by_node["main"] == {
        "flow": "hotline-zh", "node": "main", "type": "menu", "entries": 3, "exits": {"1": 2}, "timeouts": 2, "invalid": 2,
        "hangups": 1, "interval_start": "2026-11-24T00:00:00+08:00", "interval_end": "2026-11-25T00:00:00+08:00",
    }
    assert by_node["repair"]["exits"] == {"else": 1, "open:day_shift": 1}
    assert by_node["night_queue"]["hangups"] == 1 and by_node["repair_queue"]["exits"] == {"answered": 1}
    assert by_node["survey/ask"]["entries"] == 0  # nodes nobody reached are listed too
    assert [row["node"] for row in rows][:2] == ["screen", "decline"]  # in file order
    table = cli("ivr", "stats", str(FLOWS / "hotline-zh.yaml"), db=db)
    assert any(line.split()[:5] == ["main", "menu", "4", "1=2", "3=1"] for line in table.splitlines())


def test_emergency_switch_on_both_stores(db):
    assert "off" in cli("ivr", "emergency", "status", db=db)
    out = cli("ivr", "emergency", "on", db=db)
    assert "ON since" in out and "'emergency-zh'" in out
    assert "'emergency-en'" in cli("ivr", "emergency", "on", "--flow", "emergency-en", db=db)
    assert "'emergency-en'" in cli("ivr", "emergency", "status", db=db)
    assert "no flow file nope.yaml" in cli("ivr", "emergency", "on", "--flow", "nope", db=db, code=1)
    assert "off" in cli("ivr", "emergency", "off", db=db)
    assert "off" in cli("ivr", "emergency", "status", db=db)


def test_emergency_needs_the_schema(tmp_path):
    class Fresh:
        url = f"sqlite:///{tmp_path / 'empty.db'}"

    assert "hotline db upgrade" in cli("ivr", "emergency", "status", db=Fresh, code=1)


