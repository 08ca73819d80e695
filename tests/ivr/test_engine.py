"""The engine, node type by node type, driven as a runtime would drive it."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.clock import ManualClock
from ivr import actions as a
from ivr.engine import CallInfo, EngineError, FlowRun
from tests.ivr.conftest import SHANGHAI, load_valid

ALL_TYPES = """
hotline_flow: 1
language: zh
languages: [zh, en]
timezone: Asia/Shanghai
start: screen
defaults: {timeout: 4, retries: 1, invalid_prompt: bad, timeout_prompt: nokey}
prompts:
  hi: {text: {zh: 您好, en: Hello}}
  menu: {text: {zh: 菜单, en: Menu}}
  bad: {text: {zh: 输入有误, en: Wrong key}}
  nokey: {text: {zh: 没有按键, en: No key}}
  acct: {text: {zh: 请输入账号, en: Account number}}
  vm: {text: {zh: 请留言, en: Leave a message}}
  cb: {text: {zh: 回拨号码, en: We will call}}
  cbok: {text: {zh: 确认按1, en: Press 1}}
  cbnum: {text: {zh: 输入号码, en: Enter number}}
  rate: {text: {zh: 请评价, en: Rate us}}
  bye: {text: {zh: 再见, en: Bye}}
caller_lists:
  vip: ["13800138000"]
  blocked: ["0000*"]
schedules:
  night:
    weekly: {daily: "20:00-08:00"}
    holidays: [2026-10-01]
  office:
    weekly: {mon-fri: "09:00-18:00"}
    holidays: [2026-10-01]
    workdays: [2026-10-10]
nodes:
  screen:
    type: branch
    cases:
      - caller_in: blocked
        goto: reject
      - caller_in: vip
        goto: vipq
      - variable: arg1
        equals: en
        goto: english
    else: hello
  reject: {type: hangup}
  english: {type: language, language: en, next: hello}
  hello: {type: play, prompt: hi, next: main}
  main:
    type: menu
    prompt: menu
    store: choice
    options: {"1": account, "2": office, "3": vm, "4": cb, "5": sub, "6": xfer, "#": main}
    on_failure: bye
  account:
    type: input
    prompt: acct
    min_digits: 6
    max_digits: 8
    store: account
    next: check
    on_failure: bye
  check:
    type: branch
    cases:
      - variable: account
        equals: "123456"
        goto: vipq
    else: bye
  office:
    type: branch
    cases:
      - schedule: office
        goto: q
      - schedule: night
        goto: vm
    else: cb
  q: {type: queue, queue: support, max_wait: 30, after: survey, on_timeout: vm}
  vipq: {type: queue, queue: support, priority: 10, after: survey}
  vm: {type: voicemail, prompt: vm, max_seconds: 60, mailbox: general, next: bye}
  cb:
    type: callback_request
    prompt: cb
    confirm_prompt: cbok
    enter_prompt: cbnum
    due: {within: 10m, schedule: office}
    next: bye
    on_failure: bye
  survey: {type: survey, prompt: rate, next: bye}
  sub: {type: goto, target: bye}
  xfer: {type: transfer, extension: "8001", prompt: bye}
  bye: {type: hangup, prompt: bye}
"""


@pytest.fixture
def flow(write_flow):
    return load_valid(write_flow(ALL_TYPES))


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).timestamp()


class Driver:
    """Answers every action; digits come from a list, queues and recordings as told."""

    def __init__(self, flow, *, caller="13912340000", when="2026-11-24T10:00", arg1="", language="zh"):
        self.clock = ManualClock(at(when))
        self.run = FlowRun(flow, CallInfo(caller=caller, called="800", language=language, variables={"arg1": arg1} if arg1 else {}), self.clock)
        self.actions: list[a.Action] = []

    def go(self, *answers: a.Result) -> a.Action:
        """Feed ``answers`` in order; once they run out, keys time out, queues time out
        and recordings are empty."""
        answers_left = list(answers)
        action = self.run.start()
        while True:
            self.actions.append(action)
            if isinstance(action, a.TERMINAL):
                return action
            if isinstance(action, (a.Play, a.SetVariable, a.SetLanguage, a.RequestCallback, a.SaveSurvey, a.SaveVoicemail)):
                action = self.run.send(a.Done())
            else:
                self.clock.advance(1)
                action = self.run.send(answers_left.pop(0) if answers_left else self.default(action))

    @staticmethod
    def default(action: a.Action) -> a.Result:
        if isinstance(action, a.JoinQueue):
            return a.QueueResult("timeout", "TIMEOUT")
        if isinstance(action, a.Record):
            return a.Recorded("", 0.0, "timeout")
        return a.Digits("", timed_out=True)

    def path(self) -> list[tuple[str, str]]:
        return [(s.node, s.outcome) for s in self.run.steps]

    def of(self, kind):
        return [x for x in self.actions if isinstance(x, kind)]


def test_menu_option_input_and_variable_branch(flow):
    d = Driver(flow)
    end = d.go(a.Digits("1"), a.Digits("123456"), a.QueueResult("answered", agent_interface="PJSIP/1001", agent_name="Agent Li"), a.Digits("5"))
    assert isinstance(end, a.Hangup)
    assert d.path() == [("screen", "else"), ("hello", "next"), ("main", "1"), ("account", "valid"), ("check", "account=123456"),
                        ("vipq", "answered"), ("survey", "5"), ("bye", "hangup")]
    assert d.of(a.SetVariable) == [a.SetVariable("HOTLINE_CHOICE", "1"), a.SetVariable("HOTLINE_ACCOUNT", "123456")]
    assert d.of(a.JoinQueue)[0].priority == 10
    assert d.of(a.SaveSurvey) == [a.SaveSurvey("satisfaction", 5, "support", "PJSIP/1001", "Agent Li")]
    assert d.run.steps[3].digits == "**3456"  # what the caller typed is masked in the journey
    assert d.run.outcome == "hangup"


def test_menu_timeout_then_invalid_then_failure_with_retry_prompts(flow):
    d = Driver(flow)
    d.go(a.Digits("", timed_out=True), a.Digits("9"))
    main = d.run.steps[2]
    assert (main.node, main.outcome, main.timeouts, main.invalid, main.digits) == ("main", "failed", 1, 1, "9")
    collects = d.of(a.Collect)
    assert [item.id for item in collects[1].items] == ["nokey", "menu"]  # the timeout prompt, then the menu again
    assert collects[0].terminator == ""  # '#' is an option of this menu, so it is a key, not a terminator
    assert d.path()[-1] == ("bye", "hangup")


def test_input_that_is_too_short_is_invalid(flow):
    d = Driver(flow)
    d.go(a.Digits("1"), a.Digits("12"), a.Digits("12345", timed_out=True))
    account = d.run.steps[3]
    assert (account.outcome, account.invalid, account.timeouts) == ("failed", 2, 0)


def test_language_from_a_dialplan_argument_and_prompt_text(flow):
    d = Driver(flow, arg1="en")
    d.go(a.Digits("6"))
    assert d.of(a.SetLanguage) == [a.SetLanguage("en")]
    assert d.of(a.Play)[0].items[0].text == "Hello"
    assert isinstance(d.actions[-1], a.Transfer) and d.actions[-1].extension == "8001"
    assert d.run.outcome == "transferred"


def test_the_channel_language_is_replaced_by_the_flows(flow):
    d = Driver(flow, language="en")
    d.go(a.Digits("6"))
    assert d.actions[0] == a.SetLanguage("zh")


def test_blocked_caller_is_hung_up_before_anything_is_played(flow):
    d = Driver(flow, caller="00001234")
    assert d.go() == a.Hangup()
    assert d.actions == [a.Hangup()]
    assert d.path() == [("screen", "caller_in:blocked"), ("reject", "hangup")]


def test_vip_caller_goes_first(flow):
    d = Driver(flow, caller="+86 138-0013-8000")
    d.go(a.QueueResult("timeout", "TIMEOUT"))
    assert d.path()[:2] == [("screen", "caller_in:vip"), ("vipq", "timeout")]
    assert d.path()[-1] == ("vipq", "timeout")  # no on_timeout: the call ends there
    assert isinstance(d.actions[-1], a.Hangup)


@pytest.mark.parametrize(("when", "expected"), [
    ("2026-11-24T10:00", "q"),  # Tuesday, office hours
    ("2026-11-24T19:00", "cb"),  # Tuesday evening: office closed, night shift not yet
    ("2026-11-24T21:30", "vm"),  # night shift, before midnight
    ("2026-11-25T07:59", "vm"),  # night shift, after midnight (the interval began the day before)
    ("2026-11-25T08:00", "cb"),  # night over, office not open yet
    ("2026-11-28T10:00", "cb"),  # Saturday
    ("2026-10-01T10:00", "cb"),  # National Day: a holiday on a Thursday
    ("2026-10-01T21:00", "cb"),  # the night shift starting on a holiday is closed too
    ("2026-10-02T07:00", "cb"),  # ... so the morning after it is closed
    ("2026-09-30T23:00", "vm"),  # the night before the holiday runs ...
    ("2026-10-01T06:00", "vm"),  # ... into the holiday morning
    ("2026-10-10T10:00", "q"),  # a Saturday make-up workday (调休) opens like a Monday
])
def test_business_hours_across_midnight_holidays_and_makeup_days(flow, when, expected):
    d = Driver(flow, when=when)
    d.go(a.Digits("2"))
    assert d.path()[2:4] == [("main", "2"), ("office", {"q": "open:office", "vm": "open:night", "cb": "else"}[expected])]
    assert d.path()[4][0] == expected


def test_queue_timeout_goes_to_voicemail_and_stores_it(flow):
    d = Driver(flow)
    d.go(a.Digits("2"), a.QueueResult("timeout", "TIMEOUT"), a.Recorded("/spool/x", 12.5, "dtmf"))
    assert d.path()[4:6] == [("q", "timeout"), ("vm", "recorded")]
    assert d.of(a.JoinQueue) == [a.JoinQueue("support", 0, 30.0, ())]
    assert d.of(a.SaveVoicemail) == [a.SaveVoicemail("/spool/x", 12.5, "general")]


def test_voicemail_ended_by_hanging_up_is_kept(flow):
    d = Driver(flow)
    end = d.go(a.Digits("3"), a.Recorded("/spool/y", 8.0, "hangup"))
    assert d.of(a.SaveVoicemail) == [a.SaveVoicemail("/spool/y", 8.0, "general")]
    assert end == a.End()  # no goodbye for a caller who is gone
    assert d.run.outcome == "caller_hangup"
    assert d.path()[-1] == ("vm", "recorded")


def test_callback_confirms_caller_id_and_is_due_when_the_office_opens(flow):
    d = Driver(flow, when="2026-11-24T19:00")
    d.go(a.Digits("4"), a.Digits("1"))
    collect = d.of(a.Collect)[1]
    assert a.DigitsItem("13912340000") in collect.items
    [request] = d.of(a.RequestCallback)
    assert request.number == "13912340000"
    assert request.due_at == at("2026-11-25T09:00")  # 19:10 is after hours: the next opening


def test_callback_with_another_number_and_anonymous_caller(flow):
    d = Driver(flow, caller="")
    d.go(a.Digits("4"), a.Digits("123"), a.Digits("13700001111"), a.Digits("1"))
    [request] = d.of(a.RequestCallback)
    assert request.number == "13700001111"
    step = d.run.steps[-2]
    assert (step.node, step.outcome, step.invalid) == ("cb", "stored", 1)
    assert d.run.clock.now() - request.due_at < 0


def test_survey_is_stored_against_the_agent(flow):
    d = Driver(flow, caller="13800138000")
    d.go(a.QueueResult("answered", agent_interface="PJSIP/1002", agent_name="Agent Wang"), a.Digits("7"), a.Digits("4"))
    assert d.of(a.SaveSurvey) == [a.SaveSurvey("satisfaction", 4, "support", "PJSIP/1002", "Agent Wang")]
    assert d.run.steps[-2].invalid == 1


def test_caller_hangs_up_after_talking_to_the_agent(flow):
    d = Driver(flow, caller="13800138000")
    end = d.go(a.QueueResult("answered", agent_name="Agent Li", caller_gone=True))
    assert end == a.End()
    assert d.path() == [("screen", "caller_in:vip"), ("vipq", "answered")]
    assert d.run.outcome == "caller_hangup"


SCRIPTS = [
    ("13912340000", "2026-11-24T10:00", [a.Digits("1"), a.Digits("123456"), a.QueueResult("answered"), a.Digits("5")]),
    ("13912340000", "2026-11-24T10:00", [a.Digits("2"), a.QueueResult("timeout", "TIMEOUT"), a.Recorded("/x", 3, "dtmf")]),
    ("13912340000", "2026-11-24T19:00", [a.Digits("4"), a.Digits("2"), a.Digits("13700001111"), a.Digits("1")]),
    ("13912340000", "2026-11-24T10:00", [a.Digits("6")]),
    ("13912340000", "2026-11-24T10:00", [a.Digits("5")]),
]


@pytest.mark.parametrize("script", range(len(SCRIPTS)))
def test_caller_hangs_up_at_every_action(flow, script):
    caller, when, answers = SCRIPTS[script]
    full = Driver(flow, caller=caller, when=when)
    full.go(*answers)
    waits = [i for i, x in enumerate(full.actions) if x.needs_channel and not isinstance(x, a.TERMINAL)]
    assert waits
    for k in waits:
        d = Driver(flow, caller=caller, when=when)
        action = d.run.start()
        left = list(answers)
        for i in range(k + 1):
            if i == k:
                node = d.run.frame_path
                end = d.run.send(a.CallerHangup())
                break
            if isinstance(action, (a.Play, a.SetVariable, a.SetLanguage, a.RequestCallback, a.SaveSurvey, a.SaveVoicemail)):
                action = d.run.send(a.Done())
            else:
                action = d.run.send(left.pop(0))
        assert end == a.End()
        assert d.run.outcome == "caller_hangup"
        assert d.run.steps[-1].node == node and d.run.steps[-1].outcome == "caller_hangup"
        with pytest.raises(EngineError):
            d.run.send(a.Done())


def test_a_result_the_phase_does_not_expect_is_a_bug(flow):
    run = FlowRun(flow, CallInfo(caller="1", language="zh"), ManualClock(at("2026-11-24T10:00")))
    assert isinstance(run.start(), a.Play)
    with pytest.raises(EngineError):
        run.send(a.Digits("1"))


def test_failed_command_ends_the_call_with_an_error(flow):
    d = Driver(flow)
    end = d.go(a.Digits("2"), a.Failed("510 Invalid or unknown command"))
    assert end == a.Hangup()
    assert d.run.outcome == "error"
    assert d.run.steps[-1].detail["error"].startswith("510")


def test_subflow_returns_to_the_caller(write_flow):
    write_flow("""
    hotline_flow: 1
    subflow: true
    start: s
    prompts: {p: 请评价}
    nodes:
      s: {type: survey, prompt: p, next: r, on_failure: r}
      r: {type: return}
    """, "common/sv.yaml")
    main = load_valid(write_flow("""
    hotline_flow: 1
    start: q
    prompts: {bye: 再见}
    nodes:
      q: {type: queue, queue: support, after: ask}
      ask: {type: subflow, flow: common/sv, next: bye}
      bye: {type: hangup, prompt: bye}
    """))
    d = Driver(main)
    d.go(a.QueueResult("answered", agent_name="Li"), a.Digits("3"))
    assert d.path() == [("q", "answered"), ("ask", "enter"), ("ask/s", "3"), ("ask/r", "return"), ("bye", "hangup")]
    assert d.of(a.SaveSurvey)[0].agent_name == "Li"
