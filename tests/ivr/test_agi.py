"""The FastAGI runtime against a peer playing Asterisk's recorded side, over real TCP."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from ami_bridge.models import CallbackTask
from core.clock import ManualClock
from ivr.agi.protocol import HANGUP_NOTICE, AgiProtocolError, EnvironmentReader, ReplyReader, quote
from ivr.agi.server import FastAgiServer
from ivr.agi.session import AgiConfig
from ivr.journeys import JourneyStore, call_path
from ivr.models import Journey, JourneyStep, SurveyResponse, Voicemail
from ivr.registry import FlowRegistry
from tests.ivr.conftest import SHANGHAI
from tests.ivr.fake_asterisk import AGI, FakeAsterisk, conversation, environment

FLOW = """
hotline_flow: 1
language: zh
timezone: Asia/Shanghai
start: screen
defaults: {timeout: 3, retries: 1}
prompts:
  hi: {file: hotline/welcome, text: 您好}
  menu: {file: hotline/menu, text: 请选择}
  acct: {file: hotline/account, text: 请输入账号}
  rate: {file: hotline/rate, text: 请评价}
  cb: {file: hotline/cb, text: 回拨号码}
  cbok: {file: hotline/cbok, text: 确认按1}
  cbnum: {file: hotline/cbnum, text: 输入号码}
  vm: {file: hotline/vm, text: 请留言}
  gone: {file: no-such-prompt, text: 缺失}
  bye: {file: hotline/bye, text: 再见}
caller_lists:
  blocked: ["5550666"]
nodes:
  screen:
    type: branch
    cases: [{caller_in: blocked, goto: reject}]
    else: hello
  reject: {type: hangup}
  hello: {type: play, prompt: [hi, gone], next: main}
  main:
    type: menu
    prompt: menu
    options: {"1": q, "2": account, "3": cb, "4": xfer, "5": vm, "#": main}
    on_failure: bye
  account: {type: input, prompt: acct, min_digits: 4, max_digits: 6, store: account, next: q, on_failure: bye}
  q: {type: queue, queue: support, priority: 5, max_wait: 45, after: rate, on_timeout: vm}
  rate: {type: survey, prompt: rate, next: bye}
  cb: {type: callback_request, prompt: cb, confirm_prompt: cbok, enter_prompt: cbnum, due: {within: 1h}, next: bye}
  vm: {type: voicemail, prompt: vm, max_seconds: 60, next: bye}
  xfer: {type: transfer, extension: "8001"}
  bye: {type: hangup, prompt: bye}
"""
START = 1795640351.0
MEMBERS = {"MEMBERINTERFACE": "PJSIP/1001", "MEMBERNAME": "Agent Li"}


@pytest.fixture
def flows(tmp_path: Path) -> FlowRegistry:
    (tmp_path / "hotline.yaml").write_text(FLOW, encoding="utf-8")
    return FlowRegistry(tmp_path, SHANGHAI)


async def serve(flows: FlowRegistry, store: JourneyStore | None = None, **kwargs) -> FastAgiServer:
    server = FastAgiServer(flows, config=AgiConfig(server_id="pbx1"), store=store, clock=ManualClock(START), **kwargs)
    await server.start("127.0.0.1", 0)
    return server


async def one_call(flows, peer: FakeAsterisk, store=None, **kwargs) -> FakeAsterisk:
    server = await serve(flows, store, **kwargs)
    try:
        await peer.call(server.port)
        for _ in range(100):  # the session saves its journey after closing the socket
            if server.active == 0:
                break
            await asyncio.sleep(0.01)
        assert server.active == 0, "a session outlived its connection"
    finally:
        await server.close()
    assert peer.closed_by_server, "the server must close the connection (Asterisk never does)"
    return peer


def test_every_environment_block_in_the_traces_parses():
    for trace in sorted(p.name.removesuffix(".agi.txt") for p in AGI.glob("*.agi.txt")):
        reader = EnvironmentReader()
        for line in environment(trace) + [""]:
            reader.feed(line)
        env = reader.environment
        assert env.script == "hotline" and env.get("uniqueid") and env.caller.startswith("555")
        assert env.values["agi_accountcode"] == ""
    reader = EnvironmentReader()
    for line in environment("agi22_env_args") + [""]:
        reader.feed(line)
    assert reader.environment.args == ["arg1", "arg two"]


def test_every_reply_in_the_traces_parses():
    seen = expected = 0
    for trace in sorted(p.name.removesuffix(".agi.txt") for p in AGI.glob("*.agi.txt")):
        items = conversation(trace)
        env_end = next(i for i, (d, line) in enumerate(items) if d == "<" and line == "")
        reader = ReplyReader()
        for direction, line in items[env_end + 1:]:
            if direction == "<":
                item = reader.feed(line)
                seen += item is not None
            expected += direction == ">" or line == "HANGUP"
    assert seen == expected == 83  # one reply per command, plus each HANGUP notice
    reader = ReplyReader()
    assert reader.feed("200 result= (timeout)").data == "timeout"
    reply = reader.feed('200 result=1 ("Hotline" <800>)')
    assert (reply.number, reply.data) == (1, '"Hotline" <800>')
    reply = reader.feed("200 result=987 (timeout) endpos=8160")
    assert (reply.data, reply.endpos) == ("timeout", 8160)
    assert reader.feed("HANGUP") is HANGUP_NOTICE
    assert reader.feed("520-Invalid command syntax.  Proper usage follows:") is None
    assert reader.feed("Returns the digits received from the channel at the other end.") is None
    assert reader.feed("520 End of proper usage.").code == 520
    with pytest.raises(AgiProtocolError):
        reader.feed("hello there")


def test_quote_escapes_what_asterisk_would_split():
    assert quote('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'
    with pytest.raises(ValueError):
        quote("two\nlines")


def test_a_whole_call_queue_then_survey_is_stored(flows, db):
    store = JourneyStore(db.sessions)
    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["1", "5"], members=MEMBERS), store))
    assert peer.commands == [
        "GET VARIABLE CHANNEL(linkedid)",
        'SET VARIABLE HOTLINE_IVR "hotline"',
        'SET VARIABLE CHANNEL(language) zh',  # the channel said "en"
        "ANSWER",  # only when there is something to play
        'STREAM FILE hotline/welcome ""',
        'STREAM FILE no-such-prompt ""',  # missing: 200 result=-1 endpos=0 ...
        "NOOP",  # ... and no HANGUP notice, so the caller is still there
        'STREAM FILE hotline/menu "0123456789*#"',  # '#' is an option: keys interrupt the prompt
        'SET VARIABLE QUEUE_PRIO 5',
        'SET VARIABLE MEMBERINTERFACE ""',
        "EXEC Queue support,c,,,45",
        "GET VARIABLE QUEUESTATUS",
        "GET VARIABLE MEMBERINTERFACE",
        "GET VARIABLE MEMBERNAME",
        "GET DATA hotline/rate 3000 1",
        'STREAM FILE hotline/bye ""',
        "HANGUP",
    ]
    with db.sessions() as session:
        journey = session.scalars(select(Journey)).one()
        assert (journey.linkedid, journey.uniqueid, journey.flow, journey.outcome) == ("1795640351.0", "1795640383.3", "hotline", "hangup")
        steps = session.scalars(select(JourneyStep).order_by(JourneyStep.seq)).all()
        assert [(s.node, s.outcome) for s in steps] == [("screen", "else"), ("hello", "next"), ("main", "1"), ("q", "answered"), ("rate", "5"), ("bye", "hangup")]
        assert steps[1].detail == {"missing_prompts": "gone"}
        assert {s.linkedid for s in steps} == {"1795640351.0"}
        survey = session.scalars(select(SurveyResponse)).one()
        assert (survey.score, survey.agent_interface, survey.agent_name, survey.queue, survey.linkedid) == (5, "PJSIP/1001", "Agent Li", "support", "1795640351.0")


def test_callback_request_and_voicemail_are_stored(flows, db):
    store = JourneyStore(db.sessions)
    asyncio.run(one_call(flows, FakeAsterisk(keys=["3", "1"]), store))
    asyncio.run(one_call(flows, FakeAsterisk(keys=["5"], env_overrides={"agi_uniqueid": "1795640999.9"}), store))
    with db.sessions() as session:
        task = session.scalars(select(CallbackTask)).one()
        assert (task.caller_number, task.status, task.flow, task.source_uniqueid) == ("5550803", "pending", "hotline", "1795640383.3")
        assert (task.due_at - task.requested_at).total_seconds() == 3600
        voicemail = session.scalars(select(Voicemail)).one()
        assert voicemail.path == "/var/spool/asterisk/hotline/hotline-1795640351.0-vm.wav"
        assert voicemail.duration_s == 3360 / 8000


def test_get_data_and_wait_for_digit_paths(flows):
    # An account number: GET DATA (one prompt, '#' ends input), digits then '#'.
    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["2", "4321#", "-"])))
    assert "GET DATA hotline/account 3000 6" in peer.commands
    assert 'SET VARIABLE HOTLINE_ACCOUNT "4321"' in peer.commands
    # A menu key pressed after the prompt: WAIT FOR DIGIT, whose reply is the key's code.
    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["+4"])))
    assert peer.commands[-4:] == ["WAIT FOR DIGIT 3000", "SET CONTEXT hotline-transfer", "SET EXTENSION 8001", "SET PRIORITY 1"]
    assert "HANGUP" not in peer.commands  # a transfer leaves the channel to the dialplan


def test_blocked_caller_is_declined_without_answer(flows):
    peer = asyncio.run(one_call(flows, FakeAsterisk(env_overrides={"agi_callerid": "5550666"})))
    assert peer.commands == ["GET VARIABLE CHANNEL(linkedid)", 'SET VARIABLE HOTLINE_IVR "hotline"', "SET VARIABLE CHANNEL(language) zh", "HANGUP"]


def test_unknown_flow_gets_the_error_prompt_and_a_clean_hangup(flows, caplog):
    for script in ("no-such-flow", "../../etc/passwd"):
        peer = asyncio.run(one_call(flows, FakeAsterisk(script=script)))
        assert peer.commands == ["ANSWER", 'STREAM FILE an-error-has-occured ""', "HANGUP"]
    assert "Traceback" not in caplog.text


def test_garbage_and_silence_end_the_connection_not_the_server(flows):
    async def scenario():
        server = await serve(flows, env_timeout_s=0.3)
        try:
            for payload in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"agi_network: yes\n" + b"x" * 20000 + b"\n", b""):
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(payload)
                await writer.drain()
                assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
                writer.close()
            peer = await FakeAsterisk(keys=["4"]).call(server.port)
            assert peer.commands[-1] == "SET PRIORITY 1"
            await asyncio.sleep(0.05)
            assert server.active == 0
        finally:
            await server.close()

    asyncio.run(scenario())


def test_invalid_command_reply_ends_the_call_with_an_error(flows):
    def refuse_queue(index: int, command: str) -> str | None:
        return "510 Invalid or unknown command" if command.startswith("EXEC Queue") else None

    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["1"], override=refuse_queue)))
    assert peer.commands[-2:] == ["EXEC Queue support,c,,,45", "HANGUP"]


def test_queue_timeout_and_unavailable(flows):
    def status(value):
        return lambda i, c: f"200 result=1 ({value})" if c == "GET VARIABLE QUEUESTATUS" else None

    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["1"], override=status("TIMEOUT"))))
    assert 'RECORD FILE /var/spool/asterisk/hotline/hotline-1795640351.0-vm wav "#" 60000 0 beep s=5' in peer.commands
    # Nobody logged in: on_unavailable is not set, so on_timeout (the voicemail) is used.
    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["1"], override=status("JOINEMPTY"))))
    assert any(c.startswith("RECORD FILE") for c in peer.commands)


def test_hanging_up_during_the_recording_keeps_the_message(flows, db):
    store = JourneyStore(db.sessions)
    full = asyncio.run(one_call(flows, FakeAsterisk(keys=["5"])))
    record = next(i for i, c in enumerate(full.commands) if c.startswith("RECORD FILE"))
    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["5"], hangup_at=record), store))
    assert peer.commands[record + 1:] == []  # nothing after it: the caller is gone, the message is stored
    with db.sessions() as session:
        assert session.scalars(select(Voicemail)).one().duration_s == 2.0  # endpos 16000 at 8 kHz
        journey = session.scalars(select(Journey)).one()
        assert (journey.outcome, journey.exit_node) == ("caller_hangup", "vm")
        path = call_path(session, "pbx1", "1795640351.0")
        assert [(s.node, s.outcome) for s in path][-2:] == [("main", "5"), ("vm", "recorded")]


def test_emergency_override_sends_every_call_to_the_announcement(flows, tmp_path, db):
    (tmp_path / "alert.yaml").write_text("""
hotline_flow: 1
start: say
prompts: {alert: 系统故障}
nodes:
  say: {type: hangup, prompt: alert}
""", encoding="utf-8")

    async def on() -> str | None:
        return "alert"

    store = JourneyStore(db.sessions)
    peer = asyncio.run(one_call(flows, FakeAsterisk(), store, emergency=on))
    assert 'STREAM FILE hotline/alert ""' in peer.commands
    with db.sessions() as session:
        journey = session.scalars(select(Journey)).one()
        assert (journey.flow, journey.requested_flow) == ("alert", "hotline")


SCRIPTS = {
    "queue-survey": (["1", "5"], MEMBERS),
    "account": (["2", "4321#", "-"], {}),
    "callback-other-number": (["3", "2", "13700001111#", "1"], {}),
    "voicemail": (["5"], {}),
    "transfer": (["-", "+4"], {}),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_caller_hangs_up_at_every_command(flows, name, db, caplog):
    keys, members = SCRIPTS[name]
    full = asyncio.run(one_call(flows, FakeAsterisk(keys=list(keys), members=members)))
    store = JourneyStore(db.sessions)
    caplog.set_level(logging.INFO)
    for k in range(len(full.commands)):
        peer = asyncio.run(one_call(flows, FakeAsterisk(keys=list(keys), members=members, hangup_at=k,
                                                          env_overrides={"agi_uniqueid": f"1795640445.{k}"}), store))
        # Asterisk's HANGUP notice comes with the reply to the next command (which a
        # hang-up during an instant command cannot avoid); from then on nothing that needs
        # the channel is sent: no media, no ANSWER, no HANGUP (Asterisk would say 511).
        after = peer.commands[k + 2:]
        dead = [c for c in after if not c.startswith(("GET VARIABLE", "SET VARIABLE", "NOOP", "EXEC"))]
        assert dead == [], (k, peer.commands)
        assert len(after) <= 4, (k, peer.commands)
    assert "Traceback" not in caplog.text and "session failed" not in caplog.text
    with db.sessions() as session:
        outcomes = [j.outcome for j in session.scalars(select(Journey).order_by(Journey.id))]
    assert len(outcomes) == len(full.commands)
    # Hanging up during the last command (the HANGUP itself) is the IVR's own hang-up.
    assert set(outcomes[:-1]) <= {"caller_hangup", "transferred"}


class BrokenStore(JourneyStore):
    """A database that is down: every write fails."""

    def __init__(self) -> None:
        self.tried: list[str] = []

    def save_batch(self, records):
        self.tried.extend(type(r).__name__ for r in records)
        raise OSError("database is down")

    def request_callback(self, *args):
        raise OSError("database is down")


def test_a_database_failure_does_not_drop_the_caller(flows, caplog):
    store = BrokenStore()
    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["1", "5"], members=MEMBERS), store))
    assert peer.commands[-2:] == ['STREAM FILE hotline/bye ""', "HANGUP"]  # the goodbye still played
    assert sorted(set(store.tried)) == ["JourneyRecord", "SurveyRecord"]
    assert "could not store the survey of" in caplog.text and "could not store the journey of" in caplog.text
    # A callback request is written while the caller waits: failing, the flow goes on.
    peer = asyncio.run(one_call(flows, FakeAsterisk(keys=["3", "1"]), store))
    assert peer.commands[-2:] == ['STREAM FILE hotline/bye ""', "HANGUP"]
    assert "could not store" in caplog.text


def test_stopping_the_server_ends_calls_in_progress(flows):
    async def scenario():
        server = await serve(flows)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(("\n".join(FakeAsterisk().env_lines()) + "\n\n").encode())
        await writer.drain()
        assert (await reader.readline()).startswith(b"GET VARIABLE")  # the call is up; Asterisk never answers now
        assert server.active == 1
        await server.close()
        assert server.active == 0
        assert await asyncio.wait_for(reader.read(), 5) == b""  # its socket was closed
        writer.close()

    asyncio.run(scenario())


def test_a_bad_journey_does_not_lose_the_rest_of_its_batch(flows, db, caplog):
    from ivr.journeys import CallIds, JourneyRecord

    store = JourneyStore(db.sessions)
    server = FastAgiServer(flows, config=AgiConfig(), store=store)
    same = CallIds("pbx1", "1.1", "1.1", "hotline")
    batch = [JourneyRecord(same, [], START, START + 1, "hangup"), JourneyRecord(same, [], START, START + 1, "hangup"),
             JourneyRecord(CallIds("pbx1", "1.2", "1.2", "hotline"), [], START, START + 1, "hangup")]
    asyncio.run(server._store_batch(store, batch))  # the first and the third are stored; the repeat is logged
    with db.sessions() as session:
        assert sorted(j.uniqueid for j in session.scalars(select(Journey))) == ["1.1", "1.2"]
    assert "could not store the journey of 1.1" in caplog.text
