"""The call tracker on its own (no socket, no database): recorded and synthetic traffic."""

from __future__ import annotations

import re
from pathlib import Path

from ami_bridge import facts as f
from ami_bridge.event_time import EventClock
from ami_bridge.framing import Framer
from ami_bridge.message import Message
from ami_bridge.traces import TraceProblem, read_trace
from ami_bridge.tracker import CallTracker
from tests.conftest import DATA

AMI = DATA / "ami"


def run(*paths: Path, tracker: CallTracker | None = None) -> tuple[CallTracker, list[f.Fact]]:
    tracker = tracker or CallTracker(ivr_endpoints=frozenset({"ivr"}))
    clock = EventClock(live=False)
    out: list[f.Fact] = []
    for path in paths:
        for item in read_trace(path):
            if isinstance(item, tuple):
                message, ts = item
                out += tracker.feed(message, clock.time_of(message, ts))
    return tracker, out


def ended(facts: list[f.Fact]) -> list[f.CallRecord]:
    return [x.call for x in facts if isinstance(x, f.CallEnded)]


def visits(facts: list[f.Fact]) -> list[f.QueueVisit]:
    return [x.visit for x in facts if isinstance(x, f.QueueVisitEnded)]


def test_attended_transfer_synthetic():
    tracker, facts = run(AMI / "synthetic_attended_transfer.jsonl")
    assert tracker.open_calls == 0
    calls = {c.linkedid: c for c in ended(facts)}
    caller = calls["1795700000.1"]
    assert (caller.disposition, caller.transfers, caller.queue, caller.agent_name) == ("answered", 1, "support", "Agent Li")
    # Queue talk is Asterisk's TalkTime (26 s); after the transfer the caller talks 20 s more with 1003.
    assert caller.talk_s == 46
    # The agent held the caller from 18 s until the agent's channel went away at 30 s;
    # music on hold to the caller is not counted twice.
    assert caller.hold_s == 12
    (visit,) = visits(facts)
    assert (visit.outcome, visit.complete_reason, visit.talk_s, visit.hold_s) == ("answered", "transfer", 26, 12)
    consult = calls["1795700020.3"]
    assert consult.disposition == "answered" and consult.ended_at == caller.ended_at


def test_joinempty_is_a_failed_join_not_an_offered_call():
    tracker, facts = run(AMI / "synthetic_joinempty.jsonl")
    (visit,) = visits(facts)
    assert (visit.queue, visit.joined, visit.outcome, visit.wait_s) == ("vip", False, "empty", 0.0)
    (call,) = ended(facts)
    assert call.disposition == "exited" and call.ivr_digits == "3"
    assert not [x for x in facts if isinstance(x, f.CallerJoined) and x.queue == "vip" and x.position > 0]


def test_exits_are_told_apart_by_queuestatus_and_digits():
    _, facts = run(AMI / "pjsip22_exits.jsonl")
    assert [(v.queue, v.outcome, v.wait_s, v.exit_digit) for v in visits(facts)] == [
        ("billing", "timeout", 25.0, ""),
        ("vip", "empty", 0.0, ""),
        ("support", "exit_key", 3.503, "9"),
        ("support", "abandoned", 3.0, ""),
    ]
    attempts = [x.attempt for x in facts if isinstance(x, f.AgentAttemptEnded)]
    assert [(a.member_name, a.outcome, a.ring_s) for a in attempts][:3] == [("Agent Zhao", "no_answer", 10.0)] * 2 + [("Agent Zhao", "no_answer", 3.0)]
    assert [a.outcome for a in attempts][3:] == ["canceled", "canceled"]


def test_pauses_reason_changes_and_member_add_remove():
    _, facts = run(AMI / "pjsip22_agent_states.jsonl")
    pauses = [x.pause for x in facts if isinstance(x, f.PauseEnded)]
    assert [(p.interface, p.reason) for p in pauses] == [("PJSIP/1002", "lunch"), ("PJSIP/1002", "training")]
    assert abs(sum(p.ended_at - p.started_at for p in pauses) - 7) < 1  # queue_log: Wang paused 7 s in total
    logins = [x.login for x in facts if isinstance(x, f.LoginEnded)]
    assert [(l.member_name, round(l.ended_at - l.started_at)) for l in logins] == [("Agent Sun", 2)]
    (call,) = ended(facts)
    assert round(call.hold_s) == 3 and call.talk_s == 8


def test_originate_outcomes():
    _, facts = run(AMI / "pjsip22_originate.jsonl")
    calls = ended(facts)
    assert [(c.direction, c.disposition, c.caller_num, c.task, c.hangup_cause) for c in calls] == [
        ("outbound", "outbound", "5559876", "callback-43", 16),
        ("outbound", "failed", "5559877", "callback-44", 19),
        ("outbound", "failed", "5559878", "callback-45", 17),
    ]
    assert calls[0].agent_interface == "PJSIP/1001"


def test_agi_call_spanning_two_captures_is_one_call():
    """agi_digit's call stayed up until agi_hangup's capture (its Hangup is there)."""
    tracker, facts = run(AMI / "agi_digit.jsonl", AMI / "agi_hangup.jsonl")
    calls = ended(facts)
    assert [(c.linkedid, c.disposition) for c in calls] == [("1795495671.134", "ivr_only"), ("1795495795.135", "ivr_only")]
    assert 123 <= calls[0].ended_at - calls[0].started_at <= 126  # its Cdr: Duration 124 s
    alone, orphan_facts = run(AMI / "agi_hangup.jsonl")
    assert [c.linkedid for c in ended(orphan_facts)] == ["1795495795.135"]  # the orphan Hangup is ignored


def test_pbx_restart_closes_what_was_open_at_the_last_sign_of_life():
    messages = [item for item in read_trace(AMI / "answered.jsonl") if isinstance(item, tuple)]
    cut = next(i for i, (m, _) in enumerate(messages) if m.name == "HangupRequest")
    tracker = CallTracker()
    clock = EventClock(live=False)
    for message, ts in messages[:cut]:
        tracker.feed(message, clock.time_of(message, ts))
    last = clock.now
    reboot = Message.from_headers([("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", "3"), ("Status", "Fully Booted")])
    facts = tracker.feed(reboot, last + 60)
    (call,) = ended(facts)
    assert call.ended_at == last and call.disposition == "answered"
    assert any(isinstance(x, f.PbxRestarted) for x in facts)
    assert tracker.open_calls == 0


def test_raw_capture_and_jsonl_give_the_same_calls():
    _, from_txt = run(AMI / "pjsip22_exits.txt")
    _, from_jsonl = run(AMI / "pjsip22_exits.jsonl")
    key = lambda c: (c.linkedid, c.disposition, c.queue, c.ivr_digits, c.caller_num)
    assert [key(c) for c in ended(from_txt)] == [key(c) for c in ended(from_jsonl)]
    # Without receive times, the raw capture is dated by the Uniqueid epochs and CEL
    # times (whole seconds, and the PBX's CEL clock runs up to 2-3 s off here): waits
    # Asterisk reports are exact, measured ones within a second.
    for a, b in zip(ended(from_txt), ended(from_jsonl)):
        assert abs(a.wait_s - b.wait_s) <= 1
        assert abs(a.started_at - b.started_at) < 1.5 and abs(a.ended_at - b.ended_at) < 3


def test_state_stays_flat_as_completed_calls_accumulate():
    raw = (AMI / "busy_queue.txt").read_bytes()
    body = raw[raw.index(b"\r\n\r\n") + 4 :]
    tracker = CallTracker()
    ids = re.compile(rb"\b(17\d{8})\.(\d+)\b")
    for k in range(20):
        copy = ids.sub(lambda m: b"%d.%d" % (int(m[1]) + 100 * k, int(m[2]) + 100000 * k), body)
        framer = Framer(expect_banner=False)
        for message in framer.feed(copy):
            tracker.feed(message, 1795494978.0 + 100 * k)  # type: ignore[arg-type]
        if k == 0:
            after_first = tracker.sizes()
    assert tracker.sizes() == after_first == {"legs": 0, "calls": 0, "visits": 0, "pending": 0, "attempts": 0, "bridges": 0, "members": 0}


def test_event_clock_rules():
    clock = EventClock(live=False)
    newchannel = Message.from_headers([("Event", "Newchannel"), ("Uniqueid", "1795494751.0")])
    assert clock.time_of(newchannel) == 1795494751.0
    cel = Message.from_headers([("Event", "CEL"), ("EventTime", "2026-11-24 04:32:35.250000")])
    assert clock.time_of(cel) == 1795494755.25
    old_hangup = Message.from_headers([("Event", "Hangup"), ("Uniqueid", "1795494700.0")])
    assert clock.time_of(old_hangup) == 1795494755.25  # never backwards
    assert clock.time_of(old_hangup, 1795494800.5) == 1795494800.5  # a .jsonl ts wins
    live = EventClock(live=True)
    stamped = Message.from_headers([("Event", "Hangup"), ("Timestamp", "1795494760.125")])
    assert live.time_of(stamped, received_at=1795494761.0) == 1795494760.125
    response = Message.from_headers([("Response", "Success")])
    assert live.time_of(response, received_at=1795494761.0) == 1795494760.125  # shares Asterisk's clock


def test_bad_trace_lines_are_reported_with_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"ts": 1, "banner": "Asterisk Call Manager/9.0.0"}\nnot json\n{"ts": "x", "headers": []}\n{"headers": [["Event"]]}\n{"ts": 2, "headers": [["Event", "FullyBooted"]]}\n')
    items = list(read_trace(path))
    problems = [str(i) for i in items if isinstance(i, TraceProblem)]
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert [i[0].name for i in items if isinstance(i, tuple)] == ["FullyBooted"]
