"""The IVR engine: a flow and a call in, actions out. No socket, no database, no wall clock.

Theory of operation
===================
A ``FlowRun`` walks one call through one flow (``flow.py``). It never performs
anything itself: ``start()`` and ``send(result)`` return the next *action* (play,
collect digits, record, set a variable, join a queue, store a callback request, transfer,
hang up; ``actions.py``), and the runtime that carries the call (FastAGI today, a pyVoIP
SIP endpoint or the console simulator) performs it and sends back the *result*. This is
the sans-I/O shape of h11: the same engine runs live, in the simulator, in ``--coverage``
and in tests, and a new runtime or prompt synthesis plugs in without changing it (a
prompt action carries the sound file *and* the words).

Time comes from an injected ``core.clock.Clock``: it stamps each step and answers
business-hours branches and callback due times, so a test or ``simulate --at`` can ask
"what happens on Tuesday at 21:30" without waiting for Tuesday. Timeouts are waited for
by the runtime (Asterisk times out ``GET DATA`` itself); the engine only says how long.

Nodes and phases
----------------
Entering a node runs its *entry handler* (``ENTRY``). Nodes that ask nothing of the call
(``goto``, ``branch``, ``subflow``, ``return``) are *pass-through*: they choose the next
node at once, and entering continues there (at most ``MAX_HOPS`` in a row, so a flow that
skipped the validator cannot spin). Every other node returns an action and leaves the run
in a *phase* that says which result it waits for:

========================  ===========================  ================================
phase                     waits for                    then
========================  ===========================  ================================
SIDE                      Done / Failed                next queued action, or the node's
                                                       continuation (play, language,
                                                       set variable, stores, prompts
                                                       before a transfer or hang-up)
MENU                      Digits                       option → its node; timeout or
                                                       invalid key → ask again, after
                                                       ``retries`` → ``on_failure``
INPUT                     Digits                       valid → store, ``next``; else as
                                                       MENU
CALLBACK_CONFIRM          Digits                       confirm → store the request;
                                                       change → CALLBACK_ENTER
CALLBACK_ENTER            Digits                       a valid number → CALLBACK_CONFIRM
SURVEY                    Digits                       1–5 → store the score, ``next``
QUEUE                     QueueResult                  answered → ``after`` (the survey),
                                                       timeout → ``on_timeout``,
                                                       unavailable → ``on_unavailable``
RECORD                    Recorded                     store the voicemail, ``next``
ENDED                     nothing                      (a terminal action was returned)
========================  ===========================  ================================

The table ``TRANSITIONS`` maps (phase, result type) to its handler; a result the table
does not list is a runtime bug and raises ``EngineError``. Two results are accepted in
every phase but ENDED: ``CallerHangup`` (the caller may hang up at any point: the
current step ends with outcome ``caller_hangup`` and the run ends) and ``Failed`` (the
runtime could not do it: outcome ``error``, the call is hung up). A ``Failed`` store in
SIDE is noted on the step and the call goes on: a database hiccup must not drop a caller.

A result may also say that the caller is already gone while it still reports something
worth keeping (a queue call that ended with the caller hanging up, a voicemail ended by
hanging up). The run then finishes that node (stores the voicemail) and ends at the next
node that needs the call.

A missing optional edge ends the call: a menu without ``on_failure``, a queue without
``after``, a voicemail without ``next`` hang up there.

Journeys
--------
Each node visit is a ``Step`` (node, type, prompts, digits, timeouts, invalid keys,
outcome, enter/leave times). Digits a caller typed into ``input`` and
``callback_request`` nodes are masked but for the last 4 (minimum necessary data); the
full value goes only where it is used (a channel variable, the callback request).
"""

from __future__ import annotations

import enum
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from core.clock import Clock
from ivr import actions as a
from ivr import flow as f

MAX_HOPS = 200
_MOBILE_CN = re.compile(r"^1[3-9]\d{9}$")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11}|[2-9]\d{6,7})$")
SURVEY_SCORES = "12345"


class EngineError(RuntimeError):
    """A runtime fed the engine something it was not waiting for (a bug, not bad input)."""


class Phase(enum.Enum):
    IDLE = "idle"
    SIDE = "side"
    MENU = "menu"
    INPUT = "input"
    CALLBACK_CONFIRM = "callback_confirm"
    CALLBACK_ENTER = "callback_enter"
    SURVEY = "survey"
    QUEUE = "queue"
    RECORD = "record"
    ENDED = "ended"


@dataclass
class CallInfo:
    caller: str = ""
    called: str = ""
    language: str = ""  # the channel's language before the flow sets its own
    variables: dict[str, str] = field(default_factory=dict)  # e.g. arg1, arg2 from the dialplan


@dataclass
class _Frame:
    flow: f.Flow
    prefix: str  # "" for the main flow, "subflownode/" inside a sub-flow
    return_to: f.Ref | None


@dataclass(frozen=True)
class _Jump:
    label: str
    target: f.Ref | None


def valid_number(kind: str, digits: str) -> bool:
    if not digits.isdigit():
        return False
    if kind == "mobile_cn":
        return bool(_MOBILE_CN.match(digits))
    if kind == "phone":
        return bool(_PHONE.match(digits))
    return True


def mask(digits: str) -> str:
    return digits if len(digits) <= 4 else "*" * (len(digits) - 4) + digits[-4:]


class FlowRun:
    def __init__(self, flow: f.Flow, call: CallInfo, clock: Clock) -> None:
        self.flow = flow
        self.call = call
        self.clock = clock
        # The flow's language wins over the channel's: Asterisk gives every channel "en"
        # unless configured otherwise, which says nothing about the caller.
        self.language = flow.language
        self.variables: dict[str, str] = {**call.variables, "caller": call.caller, "called": call.called}
        self.steps: list[a.Step] = []
        self.outcome = ""
        self.phase = Phase.IDLE
        self._frames = [_Frame(flow, "", None)]
        self._node: f.AnyNode | None = None
        self._step: a.Step | None = None
        self._attempts = 0
        self._pending: deque[a.Action] = deque()
        self._then: Callable[[], a.Action] | None = None
        self._gone = False
        self._number = ""
        self._last_queue = ("", "", "")

    # --- public interface ---
    @property
    def finished(self) -> bool:
        return self.phase is Phase.ENDED

    @property
    def current_node(self) -> f.AnyNode | None:
        return self._node

    @property
    def frame_path(self) -> str:
        """Where the run is: the sub-flow prefix and the node (as steps name it)."""
        return self._frame.prefix + (self._node.id if self._node else "")

    def state_key(self) -> tuple[object, ...]:
        """Everything that decides what the run does next, for exploring flows without
        visiting the same situation twice (``--coverage``)."""
        return (self.frame_path, self.phase, self._attempts, tuple(sorted(self.variables.items())), self._number,
                self.language, self._last_queue[0] != "", self._gone, tuple(type(x).__name__ for x in self._pending))

    @property
    def exit_node(self) -> str:
        return self.steps[-1].node if self.steps else ""

    def start(self) -> a.Action:
        if self.phase is not Phase.IDLE:
            raise EngineError("start() was already called")
        self.variables["language"] = self.language
        begin = lambda: self._goto(self.flow.start)  # noqa: E731
        if self.call.language != self.language:
            # The channel's language picks the sound folder Asterisk plays from.
            return self._side([a.SetLanguage(self.language)], begin)
        return begin()

    def send(self, result: a.Result) -> a.Action:
        if self.phase is Phase.ENDED:
            raise EngineError(f"the run has ended; got {type(result).__name__}")
        if self.phase is Phase.IDLE:
            raise EngineError("send() before start()")
        if isinstance(result, a.CallerHangup):
            return self._caller_hangup()
        handler = TRANSITIONS.get((self.phase, type(result)))
        if handler is None:
            if isinstance(result, a.Failed):
                return self._error(result.reason)
            raise EngineError(f"in phase {self.phase.value} the engine does not expect {type(result).__name__}")
        return handler(self, result)

    # --- moving between nodes ---
    @property
    def _frame(self) -> _Frame:
        return self._frames[-1]

    def _goto(self, ref: f.Ref | None) -> a.Action:
        hops = 0
        while True:
            if ref is None or not ref.target:
                return self._finish(a.Hangup(), "hangup")
            node = self._frame.flow.nodes.get(ref.target)
            if node is None:
                return self._error(f"no node named {ref.target!r} (the flow was not validated)")
            if self._gone:
                return self._finish(a.End(), "caller_hangup")
            hops += 1
            if hops > MAX_HOPS:
                return self._error(f"more than {MAX_HOPS} nodes in a row without asking the caller anything (a loop)")
            self._node = node
            self._attempts = 0
            self._step = a.Step(node=self._frame.prefix + node.id, type=node.type, entered_at=self.clock.now())
            self.steps.append(self._step)
            entered = ENTRY[type(node)](self, node)
            if isinstance(entered, _Jump):
                self._close(entered.label)
                ref = entered.target
                continue
            return entered

    def _leave(self, label: str, ref: f.Ref | None) -> a.Action:
        self._close(label)
        return self._goto(ref)

    def _close(self, outcome: str) -> None:
        if self._step is not None and self._step.left_at is None:
            self._step.outcome = outcome
            self._step.left_at = self.clock.now()

    def _finish(self, action: a.Action, outcome: str) -> a.Action:
        self._close(outcome)
        self.outcome = outcome
        self.phase = Phase.ENDED
        self._pending.clear()
        return action

    def _error(self, reason: str) -> a.Action:
        if self._step is not None and self._step.left_at is None:
            self._step.detail["error"] = reason
            self._close("error")
        return self._finish(a.End() if self._gone else a.Hangup(), "error")

    def _caller_hangup(self) -> a.Action:
        self._gone = True
        self._close("caller_hangup")
        return self._finish(a.End(), "caller_hangup")

    def _side(self, actions: list[a.Action], then: Callable[[], a.Action]) -> a.Action:
        """Perform ``actions`` one by one (each answered by Done), then continue with ``then``."""
        self._pending = deque(actions)
        self._then = then
        return self._next_side()

    def _next_side(self) -> a.Action:
        while self._pending:
            action = self._pending.popleft()
            if self._gone and action.needs_channel:
                continue
            self.phase = Phase.SIDE
            return action
        then, self._then = self._then, None
        assert then is not None
        return then()

    def _items(self, uses: list[f.PromptUse]) -> tuple[a.PromptItem, ...]:
        flow = self._frame.flow
        items = []
        for use in uses:
            prompt = flow.prompts.get(use.id)
            file = prompt.file if prompt else f"hotline/{use.id}"
            items.append(a.PromptItem(use.id, file, flow.prompt_text(use.id, self.language), self.language))
        if self._step is not None:
            self._step.prompts.extend(use.id for use in uses)
        return tuple(items)

    def _retry_or_fail(self, node: f.Retrying, digits: a.Digits, ask: Callable[[list[f.PromptUse]], a.Action]) -> a.Action:
        """A timeout or a wrong key: count it, then ask again or give up."""
        assert self._step is not None
        timed_out = digits.digits == "" and digits.timed_out
        if timed_out:
            self._step.timeouts += 1
        else:
            self._step.invalid += 1
        self._attempts += 1
        if self._attempts > node.retries:
            self._step.detail["failed_by"] = "timeout" if timed_out else "invalid"
            return self._leave("failed", node.on_failure)
        return ask(node.timeout_prompts if timed_out else node.invalid_prompts)

    def _note_digits(self, digits: str, *, masked: bool = False) -> None:
        assert self._step is not None
        shown = mask(digits) if masked else digits
        self._step.digits = f"{self._step.digits},{shown}" if self._step.digits else shown

    # --- entry handlers ---
    def _enter_play(self, node: f.PlayNode) -> a.Action:
        return self._side([a.Play(self._items(node.prompts))], lambda: self._leave("next", node.next))

    def _enter_menu(self, node: f.MenuNode) -> a.Action:
        return self._ask_menu(node, [])

    def _ask_menu(self, node: f.MenuNode, before: list[f.PromptUse]) -> a.Action:
        self.phase = Phase.MENU
        terminator = "" if "#" in node.options else "#"
        return a.Collect(self._items(before + node.prompts), 1, node.timeout_s, terminator)

    def _enter_input(self, node: f.InputNode) -> a.Action:
        return self._ask_input(node, [])

    def _ask_input(self, node: f.InputNode, before: list[f.PromptUse]) -> a.Action:
        self.phase = Phase.INPUT
        return a.Collect(self._items(before + node.prompts), node.max_digits, node.timeout_s, node.terminator)

    def _enter_branch(self, node: f.BranchNode) -> _Jump:
        for case in node.cases:
            if self._holds(case.condition):
                return _Jump(case.condition.label(), case.target)
        return _Jump("else", node.otherwise)

    def _holds(self, condition: f.Condition) -> bool:
        flow = self._frame.flow
        if isinstance(condition, f.ScheduleCondition):
            schedule = flow.schedules.get(condition.schedule)
            is_open = bool(schedule and schedule.is_open(self.clock.now()))
            return is_open == condition.open
        if isinstance(condition, f.CallerCondition):
            caller_list = flow.caller_lists.get(condition.caller_list)
            return bool(caller_list and caller_list.matches(self.call.caller))
        value = self.variables.get(condition.variable)
        if condition.equals is not None:
            return value is not None and value in condition.equals
        return (value not in (None, "")) == condition.is_set

    def _enter_queue(self, node: f.QueueNode) -> a.Action:
        self.phase = Phase.QUEUE
        assert self._step is not None
        self._step.detail["queue"] = node.queue
        return a.JoinQueue(node.queue, node.priority, node.max_wait_s, self._items(node.prompts))

    def _enter_voicemail(self, node: f.VoicemailNode) -> a.Action:
        self.phase = Phase.RECORD
        return a.Record(node.id, node.max_seconds, node.silence_s, node.beep, self._items(node.prompts))

    def _enter_callback_request(self, node: f.CallbackNode) -> a.Action:
        caller = f.normalize_number(self.call.caller)
        if valid_number("phone", caller):
            self._number = caller
            return self._ask_confirm(node, [])
        return self._ask_number(node, [])

    def _ask_confirm(self, node: f.CallbackNode, before: list[f.PromptUse]) -> a.Action:
        self.phase = Phase.CALLBACK_CONFIRM
        items = self._items(before + node.prompts) + (a.DigitsItem(self._number),) + self._items(node.confirm_prompts)
        terminator = "" if "#" in (node.confirm_digit, node.change_digit) else "#"
        return a.Collect(items, 1, node.timeout_s, terminator)

    def _ask_number(self, node: f.CallbackNode, before: list[f.PromptUse]) -> a.Action:
        self.phase = Phase.CALLBACK_ENTER
        return a.Collect(self._items(before + node.enter_prompts), 12, node.timeout_s, "#")

    def _enter_survey(self, node: f.SurveyNode) -> a.Action:
        return self._ask_survey(node, [])

    def _ask_survey(self, node: f.SurveyNode, before: list[f.PromptUse]) -> a.Action:
        self.phase = Phase.SURVEY
        return a.Collect(self._items(before + node.prompts), 1, node.timeout_s, "#")

    def _enter_transfer(self, node: f.TransferNode) -> a.Action:
        assert self._step is not None
        self._step.detail["extension"] = node.extension
        transfer = a.Transfer(node.extension, node.context)
        return self._side([a.Play(self._items(node.prompts))] if node.prompts else [], lambda: self._finish(transfer, "transferred"))

    def _enter_language(self, node: f.LanguageNode) -> a.Action:
        self.language = node.language
        self.variables["language"] = node.language
        return self._side([a.SetLanguage(node.language)], lambda: self._leave("next", node.next))

    def _enter_goto(self, node: f.GotoNode) -> _Jump:
        return _Jump("next", node.target)

    def _enter_subflow(self, node: f.SubflowNode) -> _Jump | a.Action:
        if node.flow is None:
            return self._error(f"sub-flow {node.path!r} could not be loaded")
        self._frames.append(_Frame(node.flow, f"{self._frame.prefix}{node.id}/", node.next))
        return _Jump("enter", node.flow.start)

    def _enter_return(self, node: f.ReturnNode) -> _Jump:
        if len(self._frames) == 1:
            return _Jump("return", None)
        frame = self._frames.pop()
        return _Jump("return", frame.return_to)

    def _enter_hangup(self, node: f.HangupNode) -> a.Action:
        return self._side([a.Play(self._items(node.prompts))] if node.prompts else [], lambda: self._finish(a.Hangup(), "hangup"))

    # --- transitions (phase, result) ---
    def _side_done(self, result: a.Done) -> a.Action:
        if result.missing and self._step is not None:
            self._step.detail["missing_prompts"] = ",".join(result.missing)
        return self._next_side()

    def _side_failed(self, result: a.Failed) -> a.Action:
        if self._step is not None:
            self._step.detail["failed"] = result.reason
        return self._next_side()

    def _menu_digits(self, result: a.Digits) -> a.Action:
        node = self._node
        assert isinstance(node, f.MenuNode)
        key = result.digits[:1]
        if result.digits:
            self._note_digits(result.digits)
        if key in node.options:
            target = node.options[key]
            if node.store:
                self.variables[node.store] = key
                return self._side([a.SetVariable(f"HOTLINE_{node.store.upper()}", key)], lambda: self._leave(key, target))
            return self._leave(key, target)
        return self._retry_or_fail(node, result, lambda before: self._ask_menu(node, before))

    def _input_digits(self, result: a.Digits) -> a.Action:
        node = self._node
        assert isinstance(node, f.InputNode)
        digits = result.digits
        if digits:
            self._note_digits(digits, masked=True)
        if node.min_digits <= len(digits) <= node.max_digits and valid_number(node.kind, digits):
            self.variables[node.store] = digits
            return self._side([a.SetVariable(f"HOTLINE_{node.store.upper()}", digits)], lambda: self._leave("valid", node.next))
        return self._retry_or_fail(node, result, lambda before: self._ask_input(node, before))

    def _callback_confirm_digits(self, result: a.Digits) -> a.Action:
        node = self._node
        assert isinstance(node, f.CallbackNode) and self._step is not None
        key = result.digits[:1]
        if result.digits:
            self._note_digits(result.digits)
        if key == node.confirm_digit:
            due = self._due(node)
            self._step.detail["number"] = mask(self._number)
            self._step.detail["due_at"] = f"{due:.0f}"
            actions: list[a.Action] = [a.RequestCallback(self._number, due, node.note)]
            if node.done_prompts:
                actions.append(a.Play(self._items(node.done_prompts)))
            return self._side(actions, lambda: self._leave("stored", node.next))
        if key == node.change_digit:
            return self._ask_number(node, [])
        return self._retry_or_fail(node, result, lambda before: self._ask_confirm(node, before))

    def _callback_enter_digits(self, result: a.Digits) -> a.Action:
        node = self._node
        assert isinstance(node, f.CallbackNode)
        digits = result.digits
        if digits:
            self._note_digits(digits, masked=True)
        if valid_number("phone", digits):
            self._number = digits
            return self._ask_confirm(node, [])
        return self._retry_or_fail(node, result, lambda before: self._ask_number(node, before))

    def _due(self, node: f.CallbackNode) -> float:
        due = self.clock.now() + node.due.within_s
        if node.due.schedule:
            schedule = self._frame.flow.schedules.get(node.due.schedule)
            opening = schedule.next_open(due) if schedule else None
            if opening is not None:
                due = opening
        return due

    def _survey_digits(self, result: a.Digits) -> a.Action:
        node = self._node
        assert isinstance(node, f.SurveyNode)
        key = result.digits[:1]
        if result.digits:
            self._note_digits(result.digits)
        if key and key in SURVEY_SCORES:
            queue, interface, name = self._last_queue
            actions: list[a.Action] = [a.SaveSurvey(node.question, int(key), queue, interface, name)]
            if node.thanks_prompts:
                actions.append(a.Play(self._items(node.thanks_prompts)))
            return self._side(actions, lambda: self._leave(key, node.next))
        return self._retry_or_fail(node, result, lambda before: self._ask_survey(node, before))

    def _queue_result(self, result: a.QueueResult) -> a.Action:
        node = self._node
        assert isinstance(node, f.QueueNode) and self._step is not None
        if result.reason:
            self._step.detail["reason"] = result.reason
        if result.caller_gone:
            self._gone = True
        if result.outcome == "answered":
            self._last_queue = (node.queue, result.agent_interface, result.agent_name)
            self._step.detail["agent"] = result.agent_name or result.agent_interface
            if result.caller_gone:
                self._close("answered")
                return self._finish(a.End(), "caller_hangup")
            return self._leave("answered", node.after)
        if result.caller_gone:
            return self._caller_hangup()
        if result.outcome == "timeout":
            return self._leave("timeout", node.on_timeout)
        return self._leave("unavailable", node.on_unavailable or node.on_timeout)

    def _recorded(self, result: a.Recorded) -> a.Action:
        node = self._node
        assert isinstance(node, f.VoicemailNode) and self._step is not None
        self._step.detail["seconds"] = f"{result.duration_s:.1f}"
        self._step.detail["ended_by"] = result.ended_by
        if result.ended_by == "hangup":
            # Hanging up is how many callers end a message: keep it, then end.
            self._gone = True
        if result.duration_s <= 0:
            return self._leave("empty", node.next)
        return self._side([a.SaveVoicemail(result.path, result.duration_s, node.mailbox)], lambda: self._leave("recorded", node.next))


ENTRY: dict[type, Callable[..., a.Action | _Jump]] = {
    f.PlayNode: FlowRun._enter_play,
    f.MenuNode: FlowRun._enter_menu,
    f.InputNode: FlowRun._enter_input,
    f.BranchNode: FlowRun._enter_branch,
    f.QueueNode: FlowRun._enter_queue,
    f.VoicemailNode: FlowRun._enter_voicemail,
    f.CallbackNode: FlowRun._enter_callback_request,
    f.SurveyNode: FlowRun._enter_survey,
    f.TransferNode: FlowRun._enter_transfer,
    f.LanguageNode: FlowRun._enter_language,
    f.GotoNode: FlowRun._enter_goto,
    f.SubflowNode: FlowRun._enter_subflow,
    f.ReturnNode: FlowRun._enter_return,
    f.HangupNode: FlowRun._enter_hangup,
}

TRANSITIONS: dict[tuple[Phase, type], Callable[..., a.Action]] = {
    (Phase.SIDE, a.Done): FlowRun._side_done,
    (Phase.SIDE, a.Failed): FlowRun._side_failed,
    (Phase.MENU, a.Digits): FlowRun._menu_digits,
    (Phase.INPUT, a.Digits): FlowRun._input_digits,
    (Phase.CALLBACK_CONFIRM, a.Digits): FlowRun._callback_confirm_digits,
    (Phase.CALLBACK_ENTER, a.Digits): FlowRun._callback_enter_digits,
    (Phase.SURVEY, a.Digits): FlowRun._survey_digits,
    (Phase.QUEUE, a.QueueResult): FlowRun._queue_result,
    (Phase.RECORD, a.Recorded): FlowRun._recorded,
}
