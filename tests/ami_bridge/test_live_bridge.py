"""Every recorded trace replayed over a real TCP socket into the live bridge, checked
against Asterisk's own ``Cdr`` events and ``queue_log``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import func, select

from ami_bridge.bridge import AmiBridge
from ami_bridge.connection import AmiActionError
from ami_bridge.models import Call, CallLeg, JournalEntry, QueueCall
from core.bus import EventBus
from core.settings import Settings
from tests.ami_bridge.fake_ami import FakeAmi, alive_at, load_jsonl
from tests.ami_bridge.oracles import AMI, cdrs, queue_log, queue_log_for

# What each recorded call was (shared/ami-traces/README.md and pjsip22_more.md).
EXPECTED: dict[tuple[str, ...], list[str]] = {
    ("answered",): ["answered"],
    ("abandoned",): ["abandoned"],
    ("ivr_timeout",): ["ivr_only"],
    ("billing_answered",): ["answered"],
    ("ring_no_answer",): ["answered"],
    ("blind_transfer",): ["answered"],
    ("originate_callback",): ["outbound"],
    ("busy_queue",): ["answered"] * 24,
    ("speech_zh",): ["answered"],
    ("speech_ko",): ["answered"],
    ("agi_digit", "agi_hangup"): ["ivr_only", "ivr_only"],
    ("pyvoip_ivr",): ["ivr_only"],
    ("pjsip22_answered",): ["answered"],
    ("pjsip22_exits",): ["exited", "exited", "exited", "abandoned"],
    ("pjsip22_agent_states",): ["answered"],
    ("pjsip22_originate",): ["outbound", "failed", "failed"],
    ("agi22_replies",): ["answered"],
}

# These two ran with queue logging off (shared/ami-traces/README.md).
NO_QUEUE_LOG = {"speech_zh", "speech_ko"}


def settings_for(db, port: int, **overrides) -> Settings:
    values = dict(
        database_url=db.url, ami_host="127.0.0.1", ami_port=port, ami_username="bridge", ami_secret="bridgepw",
        server_id="pbx-test", timezone="UTC", ami_ping_interval_s=5.0, ami_reconnect_max_s=0.5,
    )
    values.update(overrides)
    return Settings(**values)


@contextlib.asynccontextmanager
async def running(db, fake: FakeAmi, bus: EventBus | None = None, **overrides) -> AsyncIterator[AmiBridge]:
    port = await fake.start()
    bridge = AmiBridge(settings_for(db, port, **overrides), db.sessions, bus=bus)
    task = asyncio.create_task(bridge.run())
    try:
        yield bridge
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await fake.stop()


async def replay_live(db, names: tuple[str, ...], *, timestamps: bool = True) -> AmiBridge:
    banner, messages = "", []
    for name in names:
        banner, more = load_jsonl(AMI / f"{name}.jsonl", timestamps=timestamps)
        messages += more
    fake = FakeAmi(banner, messages)
    async with running(db, fake) as bridge:
        await asyncio.wait_for(fake.finished.wait(), 30)
        await bridge.drained()
    return bridge


def calls_of(db) -> list[Call]:
    with db.sessions() as session:
        return list(session.scalars(select(Call).order_by(Call.started_at)))


@pytest.mark.parametrize("names", list(EXPECTED), ids=lambda n: "+".join(n))
def test_trace_over_tcp_matches_cdr_and_queue_log(db, names):
    bridge = asyncio.run(replay_live(db, names))
    assert bridge.tracker.open_calls == 0
    calls = calls_of(db)
    assert [c.disposition for c in calls] == EXPECTED[names]
    assert len({c.linkedid for c in calls}) == len(calls)  # one row per call

    with db.sessions() as session:
        legs = session.execute(select(CallLeg.uniqueid, CallLeg.linkedid)).all()
        visits = {v.uniqueid: v for v in session.scalars(select(QueueCall))}
    leg_call = {u: l for u, l in legs}
    by_call: dict[str, list] = {}
    for name in names:
        for cdr in cdrs(AMI / f"{name}.jsonl"):
            if cdr.uniqueid in leg_call:
                by_call.setdefault(leg_call[cdr.uniqueid], []).append(cdr)
    for call in calls:
        records = by_call.get(call.linkedid, [])
        assert records, f"no Cdr for call {call.linkedid}"
        assert call.ended_at is not None
        duration = (call.ended_at - call.started_at).total_seconds()
        span = max(c.end for c in records) - min(c.start for c in records)
        # Cdr times are whole seconds, and a Cdr ends with its dialled leg: a caller who
        # goes on in the dialplan afterwards (agi22_replies: 2 s more of AGI) makes the
        # call a little longer than its Cdrs, never shorter.
        assert span - 1.5 <= duration <= span + 3, (call.linkedid, duration, span)
        if call.disposition == "answered" and call.talk_s is not None:
            assert call.talk_s <= max(c.duration for c in records) + sum(c.duration for c in records)

    log = queue_log(queue_log_for(names[-1]), set(visits))
    for callid, expected in log.items():
        visit = visits[callid]
        assert visit.queue == expected.queue
        assert visit.outcome == expected.outcome, callid
        if expected.outcome == "exit_key":
            assert visit.exit_digit == expected.key
            assert abs(visit.wait_s - expected.wait) <= 1  # queue_log rounds time() differences
        else:
            assert visit.wait_s == expected.wait, callid
        if expected.talk is not None:
            assert visit.talk_s == expected.talk
    if names[0] not in NO_QUEUE_LOG:
        assert set(log) == {v for v in visits if visits[v].joined}


def test_raw_wire_bytes_without_timestamps_still_give_waits_and_talk(db):
    """Without ``timestampevents`` times are receive times, but waits and talk come from
    Asterisk's HoldTime/TalkTime."""
    bridge = asyncio.run(replay_live(db, ("busy_queue",), timestamps=False))
    calls = calls_of(db)
    assert len(calls) == 24 and {c.disposition for c in calls} == {"answered"}
    assert sorted(c.wait_s for c in calls) == sorted([1.0] * 3 + [17.0] * 21)
    assert sum(c.talk_s for c in calls) == 19 * 3 + 3 * 21
    with db.sessions() as session:
        journaled = session.scalar(select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1))
    assert journaled is not None and bridge.stats.messages >= 2684


def test_resync_snapshot_of_a_busy_pbx(db):
    """Connecting mid-day: QueueStatus/CoreShowChannels answers become live state."""
    bridge = asyncio.run(replay_live(db, ("pjsip22_status_busy",)))
    support = next(q for q in bridge.snapshot(now=1795639781.5) if q["queue"] == "support")
    assert support["callers_waiting"] == 1
    assert support["callers"][0]["caller"] == "5550402"
    assert 3 <= support["longest_wait_s"] <= 4
    agents = {a["name"]: a for a in support["agents"]}
    assert agents["Agent Li"]["status"] == "on_call"
    assert agents["Agent Wang"]["status"] == "paused" and agents["Agent Wang"]["paused_reason"] == "lunch"
    assert (support["agents_logged_in"], support["agents_available"], support["agents_on_call"], support["agents_paused"]) == (2, 0, 1, 1)
    assert bridge.tracker.open_calls == 2  # the answered call and the waiting caller are still up


def completed(db) -> dict[str, str]:
    return {c.linkedid: c.disposition for c in calls_of(db) if c.ended_at is not None}


@pytest.mark.parametrize("cut", [700, 1400, 2100])
def test_connection_dropped_mid_stream_and_back_loses_and_duplicates_nothing(db, cut):
    banner, messages = load_jsonl(AMI / "busy_queue.jsonl", timestamps=True)

    async def scenario() -> AmiBridge:
        fake = FakeAmi(banner, messages, drop_after=cut)
        async with running(db, fake) as bridge:
            await asyncio.wait_for(fake.finished.wait(), 30)
            await bridge.drained()
            assert fake.logins == 2 and bridge.stats.reconnects >= 1
            assert [a["Action"] for a in fake.actions].count("CoreShowChannels") == 2
        return bridge

    bridge = asyncio.run(scenario())
    assert bridge.tracker.open_calls == 0
    result = completed(db)
    assert len(result) == 24 and set(result.values()) == {"answered"}
    with db.sessions() as session:
        assert session.query(QueueCall).count() == 24


def test_messages_lost_during_an_outage_are_reconciled_by_the_resync(db):
    banner, messages = load_jsonl(AMI / "busy_queue.jsonl", timestamps=True)
    cut, resume = 1200, 1500  # calls hang up and start while nobody listens

    async def scenario() -> AmiBridge:
        fake = FakeAmi(banner, messages, drop_after=cut, resume_at=resume)
        async with running(db, fake) as bridge:
            await asyncio.wait_for(fake.finished.wait(), 30)
            await bridge.drained()
        return bridge

    bridge = asyncio.run(scenario())
    assert bridge.tracker.open_calls == 0
    seen = {dict(m)["Linkedid"] for m in messages[:cut] + messages[resume:] if dict(m).get("Event") == "Newchannel"}
    adopted = {c["Linkedid"] for c in alive_at(messages, resume)[0]}
    result = completed(db)
    # Every call the bridge saw, or that the resync showed still up, is completed once;
    # calls that began and ended inside the outage left no trace on the AMI.
    assert set(result) == seen | adopted
    assert len(calls_of(db)) == len(result)


def test_login_refused_is_retried_not_fatal(db, caplog):
    banner, messages = load_jsonl(AMI / "answered.jsonl", timestamps=True)

    async def scenario() -> int:
        fake = FakeAmi(banner, messages, secret="other")
        async with running(db, fake) as bridge:
            await asyncio.sleep(1.5)
            assert not bridge.connected
            return bridge.stats.reconnects

    assert asyncio.run(scenario()) >= 2
    assert "Authentication failed" in caplog.text
    assert "bridgepw" not in caplog.text


def test_queue_pause_goes_through_the_bridge_and_errors_are_clear(db):
    banner, messages = load_jsonl(AMI / "answered.jsonl", timestamps=True)

    async def scenario() -> None:
        fake = FakeAmi(banner, messages)
        async with running(db, fake) as bridge:
            await asyncio.wait_for(bridge.connected_event.wait(), 10)
            response = await bridge.queue_pause(interface="SIP/1002", paused=True, reason="午餐", queue="support")
            assert response.get("Response") == "Success"
            sent = next(a for a in fake.actions if a["Action"] == "QueuePause")
            assert (sent["Action"], sent["Interface"], sent["Paused"], sent["Reason"], sent["Queue"]) == ("QueuePause", "SIP/1002", "true", "午餐", "support")
            with pytest.raises(AmiActionError, match="Invalid/unknown command"):
                await bridge.send_action("NoSuchAction")
            with pytest.raises(ValueError, match="line break"):
                await bridge.queue_pause(interface="SIP/1002", paused=True, reason="x\r\nAction: Originate")

    asyncio.run(scenario())


def test_live_feed_publishes_queue_state_and_call_events(db):
    banner, messages = load_jsonl(AMI / "pjsip22_exits.jsonl", timestamps=True)

    async def scenario() -> list[dict]:
        bus = EventBus(queue_size=100_000)
        subscription = bus.subscribe()
        fake = FakeAmi(banner, messages, speed=40.0)  # 45 s of calls in about a second
        async with running(db, fake, bus=bus) as bridge:
            await asyncio.wait_for(fake.finished.wait(), 30)
            await bridge.drained()
        events = []
        while not subscription._queue.empty():
            events.append(subscription._queue.get_nowait())
        return events

    events = asyncio.run(scenario())
    calls = [(e["event"], e.get("outcome")) for e in events if e["type"] == "call" and e["event"] in ("abandoned", "exited")]
    assert calls == [("exited", "timeout"), ("exited", "empty"), ("exited", "exit_key"), ("abandoned", "abandoned")]
    assert [e["connected"] for e in events if e["type"] == "bridge"][0] is True
    queue_updates = [e for e in events if e["type"] == "queues"]
    assert any(q["callers_waiting"] == 1 for e in queue_updates for q in e["queues"])
    ended = [e for e in events if e["type"] == "call" and e["event"] == "ended"]
    assert [e["disposition"] for e in ended] == ["exited", "exited", "exited", "abandoned"]
    assert all(datetime.fromisoformat(e["at"]).tzinfo is not None for e in ended)


def test_list_actions_originate_and_redirect(db):
    banner, messages = load_jsonl(AMI / "busy_queue.jsonl", timestamps=True)

    async def scenario() -> None:
        fake = FakeAmi(banner, messages)
        async with running(db, fake) as bridge:
            await asyncio.wait_for(bridge.connected_event.wait(), 10)
            summary = await bridge.send_list_action("QueueSummary")
            assert [m.get("Queue") for m in summary] == ["support"]
            assert summary[0].get("LoggedIn") == "3"
            queued = await bridge.originate(channel="PJSIP/1001", context="callback", exten="5559876", caller_id="Hotline <800>", variables={"HOTLINE_TASK": "callback-7"})
            assert queued.get("Message") == "Originate successfully queued"
            sent = next(a for a in fake.actions if a["Action"] == "Originate")
            assert (sent["Channel"], sent["Exten"], sent["Async"], sent["Variable"]) == ("PJSIP/1001", "5559876", "true", "HOTLINE_TASK=callback-7")
            with pytest.raises(AmiActionError, match="Invalid channel"):
                await bridge.originate(channel="nosuchchannel", context="callback", exten="1")
            assert (await bridge.redirect(channel="PJSIP/trunk-00000014", context="queues", exten="support")).get("Response") == "Success"

    asyncio.run(scenario())


@pytest.mark.parametrize("name", ["status_actions", "pjsip22_status", "busy_queue.asterisk_stats"])
def test_status_captures_over_tcp_become_live_state(db, name):
    """The captures of QueueStatus/QueueSummary/CoreShowChannels answers: what a bridge
    learns when it connects to a PBX that is already busy (or idle)."""
    bridge = asyncio.run(replay_live(db, (name,)))
    queues = {q["queue"]: q for q in bridge.snapshot()}
    if name == "status_actions":
        # The callback of originate_callback was still up: one open call, first seen mid-call.
        assert bridge.tracker.open_calls == 1
        with db.sessions() as session:
            (call,) = session.scalars(select(Call)).all()
        assert call.ended_at is None and call.note == "first seen mid-call"
        assert {a["name"] for a in queues["support"]["agents"]} == {"Agent Li", "Agent Wang", "Agent Zhao"}
    elif name == "pjsip22_status":
        assert set(queues) == {"billing", "support", "vip"}
        assert all(q["callers_waiting"] == 0 for q in queues.values())
    else:
        assert queues["support"]["agents_logged_in"] == 3 and queues["support"]["agents_available"] == 3


def test_a_restarted_bridge_picks_up_the_calls_in_progress_from_its_journal(db):
    """Stop the bridge mid-stream (a deploy) and start a new one: calls that were up at
    the restart keep their history (queue, waits), nothing is counted twice."""
    banner, messages = load_jsonl(AMI / "busy_queue.jsonl", timestamps=True)
    cut = 1300

    async def scenario() -> None:
        fake = FakeAmi(banner, messages, drop_after=cut, resume_at=cut)
        port = await fake.start()
        settings = settings_for(db, port)
        first = AmiBridge(settings, db.sessions)
        task = asyncio.create_task(first.run())
        await asyncio.wait_for(first.connected_event.wait(), 10)
        while first.connected or fake.position < cut:
            await asyncio.sleep(0.01)
        await first.drained()
        assert first.tracker.open_calls > 0
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        second = AmiBridge(settings, db.sessions)
        task = asyncio.create_task(second.run())
        await asyncio.wait_for(fake.finished.wait(), 30)
        await second.drained()
        assert second.tracker.open_calls == 0
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await fake.stop()

    asyncio.run(scenario())
    calls = calls_of(db)
    assert len(calls) == 24 and {c.disposition for c in calls} == {"answered"}
    assert sorted(c.wait_s for c in calls) == sorted([1.0] * 3 + [17.0] * 21)
    assert all(c.note == "" for c in calls)  # none had to be adopted mid-call


def test_a_database_outage_is_retried_without_feeding_the_tracker_twice(db, caplog):
    from sqlalchemy.exc import OperationalError

    banner, messages = load_jsonl(AMI / "answered.jsonl", timestamps=True)

    async def scenario() -> AmiBridge:
        fake = FakeAmi(banner, messages)
        async with running(db, fake) as bridge:
            write = bridge.ingestor.writer.write
            failures = iter([True, True])

            def flaky(session, facts):
                if next(failures, False):
                    raise OperationalError("INSERT", {}, Exception("database is locked"))
                return write(session, facts)

            bridge.ingestor.writer.write = flaky  # type: ignore[method-assign]
            await asyncio.wait_for(fake.finished.wait(), 30)
            await bridge.drained(timeout=30)
        return bridge

    bridge = asyncio.run(scenario())
    assert "database refused an AMI batch" in caplog.text
    (call,) = calls_of(db)
    assert (call.disposition, call.wait_s, call.talk_s) == ("answered", 1.0, 7.0)
    assert bridge.tracker.open_calls == 0
    with db.sessions() as session:
        assert session.scalar(select(func.sum(JournalEntry.messages))) == bridge.stats.messages
