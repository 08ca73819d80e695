"""Statistics, intervals, time zones, rebuild, several PBXs and bad input, through the
``hotline`` command on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from ami_bridge.models import JournalEntry
from ami_bridge.store import read_journal
from api.cli import main
from tests.conftest import DATA

AMI = DATA / "ami"


def invoke(db, *args: str, zone: str = "UTC", code: int = 0) -> str:
    env = {"HOTLINE_DATABASE_URL": db.url, "HOTLINE_TIMEZONE": zone}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def stats(db, *args: str, zone: str = "UTC") -> list[dict]:
    return json.loads(invoke(db, "queues", "stats", "--json", *args, zone=zone))


def test_exits_abandons_and_rates(db):
    invoke(db, "replay", str(AMI / "pjsip22_exits.jsonl"))
    rows = {r["queue"]: r for r in stats(db)}
    support = rows["support"]
    assert (support["offered"], support["answered"], support["abandoned"], support["short_abandoned"], support["exited"]) == (2, 0, 1, 1, 1)
    assert support["exited_exit_key"] == 1
    assert (support["answer_rate"], support["abandon_rate"]) == (0.0, 50.0)
    # Service level: 0 answered within 20 s ÷ (2 offered − 1 short abandon).
    assert support["service_level"] == 0.0 and support["service_level_answered"] is None
    assert support["asa_s"] is None and support["aht_s"] is None
    assert (rows["billing"]["exited_timeout"], rows["vip"]["exited_empty"]) == (1, 1)
    assert (rows["billing"]["service_level_s"], rows["vip"]["service_level_s"]) == (20, 20)  # no QueueParams seen: the default


def test_service_level_uses_asterisks_servicelevel_per_queue(db):
    invoke(db, "replay", str(AMI / "pjsip22_status.jsonl"), str(AMI / "pjsip22_answered.jsonl"))
    (support,) = [r for r in stats(db) if r["queue"] == "support"]
    assert support["service_level_s"] == 20
    assert (support["answered"], support["asa_s"], support["talk_s"], support["service_level"]) == (1, 8.0, 7.0, 100.0)


def test_intervals_follow_the_centers_time_zone(db):
    invoke(db, "replay", str(AMI / "busy_queue.jsonl"), str(AMI / "answered.jsonl"))
    invoke(db, "replay", str(AMI / "pjsip22_exits.jsonl"), "--server-id", "pbx22")
    hourly = stats(db, "--interval", "1h", "--queue", "support", zone="Asia/Shanghai")
    assert [r["interval_start"] for r in hourly][:1] == ["2026-11-24T12:00:00+08:00"]
    assert hourly[0]["offered"] == 25 and hourly[0]["interval_end"] == "2026-11-24T13:00:00+08:00"
    daily = stats(db, "--interval", "day", "--queue", "support", zone="Asia/Shanghai")
    assert [(r["interval_start"], r["offered"]) for r in daily] == [
        ("2026-11-24T00:00:00+08:00", 25),
        ("2026-11-25T00:00:00+08:00", 0),
        ("2026-11-26T00:00:00+08:00", 2),  # 20:47 UTC on the 25th is the 26th in Shanghai
    ]
    assert daily[1]["answer_rate"] is None and daily[1]["asa_s"] is None  # empty interval: null, not 0
    monthly = stats(db, "--interval", "month", zone="Asia/Shanghai")
    assert {(r["queue"], r["interval_start"]) for r in monthly} == {(q, "2026-11-01T00:00:00+08:00") for q in ("billing", "support", "vip")}
    quarter = stats(db, "--interval", "15m", "--from", "2026-11-24T12:30", "--to", "2026-11-24T13:00", "--queue", "support", zone="Asia/Shanghai")
    assert [(r["interval_start"][11:16], r["offered"]) for r in quarter] == [("12:30", 25), ("12:45", 0)]


def test_times_without_offset_are_read_in_the_centers_zone(db):
    invoke(db, "replay", str(AMI / "busy_queue.jsonl"))
    local = stats(db, "--from", "2026-11-24T12:36:50", zone="Asia/Shanghai")[0]["offered"]
    utc = stats(db, "--from", "2026-11-24T04:36:50+00:00", zone="Asia/Shanghai")[0]["offered"]
    assert local == utc and 0 < local < 24
    calls = json.loads(invoke(db, "calls", "list", "--json", "--since", "2026-11-24T12:36:50", zone="Asia/Shanghai"))
    assert calls and all(c["started_at"].endswith("+08:00") for c in calls)


def test_rebuild_from_the_journal_gives_the_same_rows_twice(db):
    names = ["answered", "abandoned", "blind_transfer", "originate_callback", "busy_queue", "pjsip22_agent_states"]
    invoke(db, "replay", *[str(AMI / f"{n}.jsonl") for n in names])
    before = invoke(db, "calls", "list", "--json"), json.dumps(stats(db)), invoke(db, "agents", "stats", "--json")
    assert "calls rebuilt" in invoke(db, "calls", "rebuild")
    after = invoke(db, "calls", "list", "--json"), json.dumps(stats(db)), invoke(db, "agents", "stats", "--json")
    invoke(db, "calls", "rebuild")
    again = invoke(db, "calls", "list", "--json"), json.dumps(stats(db)), invoke(db, "agents", "stats", "--json")
    assert before == after == again


def test_the_journal_holds_every_message_byte_for_byte(db):
    invoke(db, "replay", str(AMI / "pjsip22_originate.txt"))
    with db.sessions() as session:
        rows = session.execute(select(JournalEntry.raw, JournalEntry.messages).order_by(JournalEntry.id)).all()
        assert session.scalar(select(func.sum(JournalEntry.messages))) == 151
    wire = (AMI / "pjsip22_originate.txt").read_bytes()
    assert b"".join(bytes(r.raw) for r in rows) == wire[wire.index(b"\r\n") + 2 :]
    assert sum(len(read_journal(bytes(r.raw))) for r in rows) == 151


def test_several_pbxs_share_one_database(db):
    invoke(db, "replay", "--server-id", "pbx-a", str(AMI / "answered.jsonl"))
    invoke(db, "replay", "--server-id", "pbx-b", str(AMI / "answered.jsonl"))
    calls = json.loads(invoke(db, "calls", "list", "--json"))
    assert sorted((c["server_id"], c["linkedid"]) for c in calls) == [("pbx-a", "1795494751.0"), ("pbx-b", "1795494751.0")]
    assert stats(db)[0]["offered"] == 2
    shown = json.loads(invoke(db, "calls", "show", "1795494751.0", "--server-id", "pbx-b", "--json"))
    assert shown["server_id"] == "pbx-b" and [e["event"] for e in shown["timeline"]][:3] == ["call_started", "digit", "queue_joined"]


def test_agent_statistics(db):
    invoke(db, "replay", str(AMI / "pjsip22_agent_states.jsonl"))
    agents = {a["name"]: a for a in json.loads(invoke(db, "agents", "stats", "--json"))}
    assert agents["Agent Li"]["calls_handled"] == 1 and agents["Agent Li"]["talk_s"] == 8.0
    wang = agents["Agent Wang"]
    assert abs(wang["paused_s"] - 7) < 1 and set(wang["paused_by_reason"]) == {"lunch", "training"}
    assert agents["Agent Sun"]["logged_in_s"] > 1
    invoke(db, "replay", str(AMI / "pjsip22_exits.jsonl"))
    agents = {a["name"]: a for a in json.loads(invoke(db, "agents", "stats", "--json"))}
    assert agents["Agent Zhao"]["ring_no_answer"] == 3


def test_live_state_from_a_replayed_snapshot(db):
    invoke(db, "replay", str(AMI / "pjsip22_status_busy.jsonl"))
    live = {r["queue"]: r for r in json.loads(invoke(db, "queues", "live", "--json"))}
    support = live["support"]
    assert support["live"] is False and support["callers_waiting"] == 1
    assert support["callers"][0]["caller"] == "5550402" and 3 <= support["callers"][0]["wait_s"] <= 4
    assert "Agent Wang" in invoke(db, "queues", "live")


def test_bad_input_names_what_and_where(db):
    invoke(db, "replay", str(AMI / "answered.jsonl"))
    out = invoke(db, "queues", "stats", "--from", "yesterday", code=2)
    assert "--from" in out and "ISO-8601" in out
    assert "--to" in invoke(db, "queues", "stats", "--from", "2026-11-25", "--to", "2026-11-24", code=2)
    assert "--interval" in invoke(db, "queues", "stats", "--interval", "2h", code=2)
    assert "--disposition" in invoke(db, "calls", "list", "--disposition", "nope", code=2)
    assert "no call with Linkedid 'nope'" in invoke(db, "calls", "show", "nope", code=1)
    assert "HOTLINE_TIMEZONE" in invoke(db, "calls", "list", zone="Mars/Olympus", code=2)
    assert "HOTLINE_SHORT_ABANDON_S" in CliRunner().invoke(main, ["calls", "list"], env={"HOTLINE_DATABASE_URL": db.url, "HOTLINE_SHORT_ABANDON_S": "soon"}).output
    assert json.loads(invoke(db, "calls", "list", "--json"))[0]["disposition"] == "answered"  # nothing lost


def test_bad_trace_lines_do_not_stop_a_replay(db, tmp_path):
    bad = tmp_path / "mixed.jsonl"
    good = (AMI / "answered.jsonl").read_text().splitlines()
    bad.write_text("\n".join(good[:5] + ["{broken", '{"ts": 1, "headers": "nope"}'] + good[5:]) + "\n")
    result = CliRunner().invoke(main, ["replay", str(bad)], env={"HOTLINE_DATABASE_URL": db.url})
    assert result.exit_code == 0
    assert f"{bad}:6: not JSON" in result.output and f"{bad}:7: 'headers' must be" in result.output
    assert json.loads(invoke(db, "calls", "list", "--json"))[0]["disposition"] == "answered"


def test_read_commands_on_an_empty_database_say_what_to_do(tmp_path):
    env = {"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = CliRunner().invoke(main, ["queues", "stats"], env=env)
    assert result.exit_code == 1 and "hotline db upgrade" in result.output


def test_aht_counts_the_queues_wrapuptime_when_the_next_call_proves_it(db):
    invoke(db, "replay", str(AMI / "busy_queue.jsonl"))
    assert stats(db)[0]["aht_s"] == 5.0  # talk only: nothing measured a wrap-up
    env = {"HOTLINE_DATABASE_URL": db.url, "HOTLINE_TIMEZONE": "UTC", "HOTLINE_QUEUE_WRAPUP_S": '{"support": 2}'}
    result = CliRunner().invoke(main, ["queues", "stats", "--json"], env=env)
    # support's wrapuptime is 2 s; each agent's next call came ≥ 2 s after the previous
    # one ended, except after their last call: (120 s talk + 21 × 2 s) / 24 calls.
    assert json.loads(result.output)[0]["aht_s"] == 6.75
    agents = json.loads(CliRunner().invoke(main, ["agents", "stats", "--json"], env=env).output)
    assert sorted(a["aht_s"] for a in agents) == [6.75, 6.75, 6.75]  # (40 s + 7 × 2 s) / 8 calls each
