"""The console runtime: runs a flow with typed-in keys, and explores every path.

``simulate`` plays the caller from a script (keys per prompt, what the queue does) on a
``ManualClock`` that starts at ``--at``: prompts take the time their words take to say
(the seeds' 120–140 characters a minute), timeouts take their full length, so a
business-hours branch sees the time the call would really have reached it.

``coverage`` drives the same engine through every choice a caller (and the queue) can
make, under every distinct answer of the flow's schedules and caller lists, and reports
the nodes no path reaches. It replays each path from the start rather than copying
engine state, so it needs nothing from the engine but its public interface.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from core.clock import ManualClock
from ivr import actions as a
from ivr import flow as f
from ivr.engine import CallInfo, FlowRun, Phase

#: Characters a minute at the seeds' speaking rate (003: 120–140).
CHARS_PER_MINUTE = 130
SAMPLE_MOBILE = "13800138000"


def speaking_time(text: str) -> float:
    """Seconds a prompt takes: CJK characters at the service standard's rate, other
    scripts by letters (about 15 a second)."""
    cjk = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    other = len(text) - cjk
    return max(1.0, cjk * 60 / CHARS_PER_MINUTE + other / 15)


def _spoken(items: Iterable[a.Item]) -> str:
    parts = []
    for item in items:
        if isinstance(item, a.DigitsItem):
            parts.append(" ".join(item.digits))
        else:
            parts.append(item.text or f"[{item.file}]")
    return " ".join(parts)


def _duration(items: Iterable[a.Item]) -> float:
    return sum(speaking_time(item.text) if isinstance(item, a.PromptItem) else 0.5 * len(item.digits) for item in items)


@dataclass
class Script:
    """What the simulated caller and PBX do. ``keys``: one entry per prompt that collects
    keys ('' or 'timeout' waits the timeout out; 'hangup' hangs up); when they run out,
    every further prompt times out."""

    keys: list[str] = field(default_factory=list)
    queue: str = "answered"  # answered | timeout | unavailable | hangup
    agent: str = "Agent Li"
    record_seconds: float = 15.0


@dataclass
class Simulation:
    run: FlowRun
    lines: list[str]
    stored: list[a.Action]


def simulate(flow: f.Flow, call: CallInfo, at: float, zone: tzinfo, script: Script, *, max_actions: int = 500,
             echo: Callable[[str], None] | None = None) -> Simulation:
    clock = ManualClock(at)
    run = FlowRun(flow, call, clock)
    lines: list[str] = []
    stored: list[a.Action] = []
    keys = list(script.keys)

    def say(text: str) -> None:
        stamp = datetime.fromtimestamp(clock.now(), zone).strftime("%H:%M:%S")
        line = f"{stamp}  {text}"
        lines.append(line)
        if echo:
            echo(line)

    def where() -> str:
        node = run.current_node
        return f"{run.frame_path} ({node.type})" if node else "(start)"

    action = run.start()
    for _ in range(max_actions):
        if isinstance(action, a.Play):
            say(f"{where()}  ▶ {_spoken(action.items)}")
            clock.advance(_duration(action.items))
            action = run.send(a.Done())
        elif isinstance(action, a.Collect):
            say(f"{where()}  ▶ {_spoken(action.items)}")
            clock.advance(_duration(action.items))
            entry = keys.pop(0) if keys else ""
            if entry == "hangup":
                say(f"{where()}  ✆ caller hangs up")
                action = run.send(a.CallerHangup())
                continue
            if entry in ("", "timeout"):
                clock.advance(action.timeout_s)
                say(f"{where()}  ⌨ (no key for {action.timeout_s:g} s)")
                action = run.send(a.Digits("", timed_out=True))
                continue
            digits, timed_out = _keyed(entry, action)
            clock.advance(0.5 * len(entry))
            say(f"{where()}  ⌨ {entry}")
            action = run.send(a.Digits(digits, timed_out))
        elif isinstance(action, a.Record):
            if action.items:
                say(f"{where()}  ▶ {_spoken(action.items)}")
                clock.advance(_duration(action.items))
            say(f"{where()}  ● recording up to {action.max_s:g} s ({script.record_seconds:g} s spoken)")
            clock.advance(script.record_seconds)
            action = run.send(a.Recorded(f"voicemail/{action.tag}", script.record_seconds, "silence"))
        elif isinstance(action, a.JoinQueue):
            if action.items:
                say(f"{where()}  ▶ {_spoken(action.items)}")
                clock.advance(_duration(action.items))
            wait = f", waits at most {action.max_wait_s:g} s" if action.max_wait_s else ""
            say(f"{where()}  ☎ joins queue {action.queue} (priority {action.priority}{wait}): {script.queue}")
            if script.queue == "answered":
                clock.advance(180)
                say(f"{where()}  ☎ {script.agent} talked to the caller and hung up")
                action = run.send(a.QueueResult("answered", agent_interface="SIM/agent", agent_name=script.agent))
            elif script.queue == "hangup":
                action = run.send(a.CallerHangup())
            else:
                clock.advance(action.max_wait_s or 60)
                reason = "TIMEOUT" if script.queue == "timeout" else "JOINEMPTY"
                action = run.send(a.QueueResult("timeout" if script.queue == "timeout" else "unavailable", reason))
        elif isinstance(action, (a.SetVariable, a.SetLanguage)):
            label = f"language {action.language}" if isinstance(action, a.SetLanguage) else f"{action.name}={action.value}"
            say(f"{where()}  ≔ {label}")
            action = run.send(a.Done())
        elif isinstance(action, a.RequestCallback):
            due = datetime.fromtimestamp(action.due_at, zone).isoformat(timespec="minutes")
            say(f"{where()}  ✎ callback request: call {action.number} back by {due}" + (f" ({action.note})" if action.note else ""))
            stored.append(action)
            action = run.send(a.Done())
        elif isinstance(action, a.SaveSurvey):
            say(f"{where()}  ✎ survey {action.question} = {action.score} for {action.agent_name or 'no agent'}")
            stored.append(action)
            action = run.send(a.Done())
        elif isinstance(action, a.SaveVoicemail):
            say(f"{where()}  ✎ voicemail saved ({action.duration_s:g} s)" + (f" in mailbox {action.mailbox}" if action.mailbox else ""))
            stored.append(action)
            action = run.send(a.Done())
        elif isinstance(action, a.Transfer):
            say(f"{where()}  → transferred to {action.extension}" + (f"@{action.context}" if action.context else ""))
            break
        elif isinstance(action, a.Hangup):
            say(f"{where()}  ✆ the IVR hangs up")
            break
        else:  # End
            break
    else:
        say(f"stopped after {max_actions} actions: the flow may loop")
    if run.finished:
        say(f"outcome: {run.outcome} at {run.exit_node}")
    return Simulation(run, lines, stored)


def _keyed(entry: str, action: a.Collect) -> tuple[str, bool]:
    """What Asterisk's GET DATA would return for keys typed at once: '#' ends input (when
    it is the terminator), input stops at ``max_digits``, fewer keys time out."""
    digits = ""
    for key in entry:
        if action.terminator and key == action.terminator:
            return digits, False
        digits += key
        if len(digits) >= action.max_digits:
            return digits, False
    return digits, True


# --- coverage --------------------------------------------------------------------

@dataclass
class Coverage:
    reached: set[str]
    all_nodes: list[str]
    scenarios: int
    paths: int

    @property
    def missed(self) -> list[str]:
        return [name for name in self.all_nodes if name not in self.reached]


def _flows(flow: f.Flow) -> list[f.Flow]:
    result = [flow]
    for node in flow.nodes.values():
        if isinstance(node, f.SubflowNode) and node.flow is not None:
            result.extend(_flows(node.flow))
    return result


def _scenarios(flow: f.Flow, around: float) -> list[tuple[float, str, dict[str, str]]]:
    """(time, caller, preset variables) covering every answer the branches can get."""
    flows = _flows(flow)
    schedules = [s for fl in flows for s in fl.schedules.values()]
    instants = [around] + [t for s in schedules for t in s.sample_instants(around)]
    by_answer: dict[tuple[bool, ...], float] = {}
    for t in instants:
        by_answer.setdefault(tuple(s.is_open(t) for s in schedules), t)
    callers = ["", "10086"]  # anonymous, and a fixed line in no list
    for fl in flows:
        for caller_list in fl.caller_lists.values():
            for pattern in caller_list.patterns:
                callers.append(pattern[:-1] + "0" * max(0, 11 - len(pattern[:-1])) if pattern.endswith("*") else pattern)
    callers.append(SAMPLE_MOBILE)
    presets: list[dict[str, str]] = [{}]
    for fl in flows:
        for node in fl.nodes.values():
            if isinstance(node, f.BranchNode):
                for case in node.cases:
                    cond = case.condition
                    if isinstance(cond, f.VariableCondition):
                        presets.extend({cond.variable: value} for value in (cond.equals or ("1",)))
    return [(t, caller, preset) for t, caller, preset in itertools.product(by_answer.values(), dict.fromkeys(callers), presets)]


def _choices(run: FlowRun, action: a.Action) -> list[a.Result]:
    """Every answer worth trying at a decision point."""
    node = run.current_node
    timeout = a.Digits("", timed_out=True)
    if isinstance(action, a.Collect):
        if run.phase is Phase.MENU and isinstance(node, f.MenuNode):
            wrong = next((k for k in f.DTMF if k not in node.options and k != "#"), None)
            return [a.Digits(k) for k in node.options] + ([a.Digits(wrong)] if wrong else []) + [timeout]
        if run.phase is Phase.INPUT and isinstance(node, f.InputNode):
            sample = SAMPLE_MOBILE if node.kind in ("mobile_cn", "phone") else "1" * node.min_digits
            return [a.Digits(sample[: node.max_digits]), a.Digits("*"), timeout]
        if run.phase is Phase.CALLBACK_CONFIRM and isinstance(node, f.CallbackNode):
            return [a.Digits(node.confirm_digit), a.Digits(node.change_digit), timeout]
        if run.phase is Phase.CALLBACK_ENTER:
            return [a.Digits(SAMPLE_MOBILE), a.Digits("1"), timeout]
        return [a.Digits("5"), a.Digits("1"), a.Digits("9"), timeout]
    if isinstance(action, a.JoinQueue):
        return [a.QueueResult("answered", agent_interface="SIM/agent", agent_name="Agent"), a.QueueResult("timeout", "TIMEOUT"),
                a.QueueResult("unavailable", "JOINEMPTY")]
    if isinstance(action, a.Record):
        return [a.Recorded("voicemail/x", 10.0, "silence"), a.Recorded("voicemail/x", 0.0, "timeout")]
    return [a.Done()]


def _advance(run: FlowRun, action: a.Action, path: list[int]) -> tuple[a.Action, list[a.Result] | None]:
    """Replay ``path`` (indexes into each decision's choices) and stop at the next
    decision with more than one choice."""
    depth = 0
    for _ in range(2000):
        if isinstance(action, a.TERMINAL):
            return action, None
        choices = _choices(run, action)
        if len(choices) == 1:
            action = run.send(choices[0])
            continue
        if depth == len(path):
            return action, choices
        action = run.send(choices[path[depth]])
        depth += 1
    return action, None


def coverage(flow: f.Flow, *, around: float, max_paths: int = 20000) -> Coverage:
    reached: set[str] = set()
    scenarios = _scenarios(flow, around)
    paths = 0
    for at, caller, preset in scenarios:
        seen: set[tuple[object, ...]] = set()
        stack: list[list[int]] = [[]]
        while stack and paths < max_paths:
            path = stack.pop()
            run = FlowRun(flow, CallInfo(caller=caller, called="", language="", variables=dict(preset)), ManualClock(at))
            action, choices = _advance(run, run.start(), path)
            paths += 1
            reached.update(step.node for step in run.steps)
            if choices is None:
                continue
            key = run.state_key()
            if key in seen:
                continue
            seen.add(key)
            stack.extend(path + [i] for i in range(len(choices)))
    return Coverage(reached, [name for name, _ in f.node_names(flow)], len(scenarios), paths)
