"""The flow model: what a flow file means once loaded (``loader.py``) and checked
(``validator.py``). The engine runs it; nothing here does I/O.

Every reference keeps the file position it was written at (``Mark``), so that every
problem found later can still be reported as ``file:line:column``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Literal, Union

from ivr.schedule import Schedule

#: The flow-file schema versions this code reads (the ``hotline_flow`` key).
SCHEMA_VERSIONS = (1,)
DTMF = "0123456789*#"


@dataclass(frozen=True)
class Mark:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    mark: Mark
    message: str

    def __str__(self) -> str:
        return f"{self.mark}: {self.message}"


@dataclass(frozen=True)
class Ref:
    """A reference to a node (``target``) written at ``mark``."""

    target: str
    mark: Mark


@dataclass(frozen=True)
class PromptUse:
    """A prompt named by a node; resolved against the flow's ``prompts``."""

    id: str
    mark: Mark


@dataclass
class Prompt:
    id: str
    file: str  # the sound file Asterisk plays (no extension; Asterisk picks language and format)
    text: dict[str, str]  # language → what the recording says (simulator, prompt synthesis)
    mark: Mark


@dataclass
class CallerList:
    name: str
    patterns: list[str]  # exact numbers, or prefixes ending in '*'
    mark: Mark

    def matches(self, number: str) -> bool:
        digits = normalize_number(number)
        if not digits:
            return False
        for pattern in self.patterns:
            if pattern.endswith("*"):
                if digits.startswith(normalize_number(pattern[:-1])):
                    return True
            elif digits == normalize_number(pattern):
                return True
        return False


def normalize_number(number: str) -> str:
    """Digits only, with a Chinese country prefix removed, so that ``+86 138-0013-8000``,
    ``008613800138000`` and ``13800138000`` are one caller."""
    digits = "".join(ch for ch in number if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11 and digits[len(prefix)] == "1":
            return digits[len(prefix):]
    return digits


# --- branch conditions ------------------------------------------------------------

@dataclass(frozen=True)
class ScheduleCondition:
    schedule: str
    open: bool
    mark: Mark

    def label(self) -> str:
        return f"{'open' if self.open else 'closed'}:{self.schedule}"


@dataclass(frozen=True)
class CallerCondition:
    caller_list: str
    mark: Mark

    def label(self) -> str:
        return f"caller_in:{self.caller_list}"


@dataclass(frozen=True)
class VariableCondition:
    variable: str
    equals: tuple[str, ...] | None  # any of these values; None with ``is_set``
    is_set: bool | None
    mark: Mark

    def label(self) -> str:
        if self.equals is not None:
            return f"{self.variable}={'|'.join(self.equals)}"
        return f"{self.variable}:{'set' if self.is_set else 'unset'}"


Condition = Union[ScheduleCondition, CallerCondition, VariableCondition]


@dataclass(frozen=True)
class Case:
    condition: Condition
    target: Ref


@dataclass(frozen=True)
class Due:
    """When a requested callback is due: ``within`` seconds from the request, moved
    into the opening hours of ``schedule`` when one is named."""

    within_s: float
    schedule: str | None
    mark: Mark


# --- nodes ------------------------------------------------------------------------

@dataclass(kw_only=True)
class Node:
    id: str
    mark: Mark
    type: str = ""

    def targets(self) -> list[tuple[str, Ref]]:
        """Every edge out of the node: (label, reference)."""
        return []


@dataclass(kw_only=True)
class PlayNode(Node):
    prompts: list[PromptUse]
    next: Ref
    type: str = "play"

    def targets(self) -> list[tuple[str, Ref]]:
        return [("next", self.next)]


@dataclass(kw_only=True)
class Retrying:
    """Fields shared by the nodes that collect digits and ask again."""

    timeout_s: float = 5.0
    retries: int = 2
    invalid_prompts: list[PromptUse] = field(default_factory=list)
    timeout_prompts: list[PromptUse] = field(default_factory=list)
    on_failure: Ref | None = None


@dataclass(kw_only=True)
class MenuNode(Retrying, Node):
    prompts: list[PromptUse]
    options: dict[str, Ref]
    option_marks: dict[str, Mark] = field(default_factory=dict)
    store: str | None = None
    type: str = "menu"

    def targets(self) -> list[tuple[str, Ref]]:
        edges = [(digit, ref) for digit, ref in self.options.items()]
        if self.on_failure:
            edges.append(("failed", self.on_failure))
        return edges


InputKind = Literal["digits", "mobile_cn", "phone"]


@dataclass(kw_only=True)
class InputNode(Retrying, Node):
    prompts: list[PromptUse]
    min_digits: int
    max_digits: int
    kind: InputKind = "digits"
    terminator: str = "#"
    store: str
    next: Ref
    type: str = "input"

    def targets(self) -> list[tuple[str, Ref]]:
        edges = [("valid", self.next)]
        if self.on_failure:
            edges.append(("failed", self.on_failure))
        return edges


@dataclass(kw_only=True)
class BranchNode(Node):
    cases: list[Case]
    otherwise: Ref
    type: str = "branch"

    def targets(self) -> list[tuple[str, Ref]]:
        return [(case.condition.label(), case.target) for case in self.cases] + [("else", self.otherwise)]


@dataclass(kw_only=True)
class QueueNode(Node):
    queue: str
    priority: int = 0
    max_wait_s: float | None = None
    prompts: list[PromptUse] = field(default_factory=list)
    after: Ref | None = None  # where the caller goes when the agent hangs up
    on_timeout: Ref | None = None
    on_unavailable: Ref | None = None  # nobody logged in, queue full; default on_timeout
    type: str = "queue"

    def targets(self) -> list[tuple[str, Ref]]:
        edges = []
        for label, ref in (("answered", self.after), ("timeout", self.on_timeout), ("unavailable", self.on_unavailable)):
            if ref:
                edges.append((label, ref))
        return edges


@dataclass(kw_only=True)
class VoicemailNode(Node):
    prompts: list[PromptUse] = field(default_factory=list)
    max_seconds: float = 120.0
    silence_s: float | None = 5.0
    beep: bool = True
    mailbox: str = ""
    next: Ref | None = None
    type: str = "voicemail"

    def targets(self) -> list[tuple[str, Ref]]:
        return [("recorded", self.next)] if self.next else []


@dataclass(kw_only=True)
class CallbackNode(Retrying, Node):
    prompts: list[PromptUse]  # "we will call you back on" (the number is read out after it)
    confirm_prompts: list[PromptUse]  # "press 1 to confirm, 2 for another number"
    enter_prompts: list[PromptUse]  # "enter the number, then #"
    done_prompts: list[PromptUse] = field(default_factory=list)
    confirm_digit: str = "1"
    change_digit: str = "2"
    due: Due
    note: str = ""
    next: Ref | None = None
    type: str = "callback_request"

    def targets(self) -> list[tuple[str, Ref]]:
        edges = []
        if self.next:
            edges.append(("stored", self.next))
        if self.on_failure:
            edges.append(("failed", self.on_failure))
        return edges


@dataclass(kw_only=True)
class SurveyNode(Retrying, Node):
    prompts: list[PromptUse]
    thanks_prompts: list[PromptUse] = field(default_factory=list)
    question: str = "satisfaction"
    next: Ref | None = None
    type: str = "survey"

    def targets(self) -> list[tuple[str, Ref]]:
        edges = []
        if self.next:
            edges.append(("scored", self.next))
        if self.on_failure:
            edges.append(("failed", self.on_failure))
        return edges


@dataclass(kw_only=True)
class TransferNode(Node):
    extension: str
    context: str | None = None
    prompts: list[PromptUse] = field(default_factory=list)
    type: str = "transfer"


@dataclass(kw_only=True)
class LanguageNode(Node):
    language: str
    language_mark: Mark
    next: Ref
    type: str = "language"

    def targets(self) -> list[tuple[str, Ref]]:
        return [("next", self.next)]


@dataclass(kw_only=True)
class GotoNode(Node):
    target: Ref
    type: str = "goto"

    def targets(self) -> list[tuple[str, Ref]]:
        return [("next", self.target)]


@dataclass(kw_only=True)
class SubflowNode(Node):
    path: str
    flow: Flow | None  # None when the file could not be loaded (a problem says why)
    next: Ref | None = None
    type: str = "subflow"

    def targets(self) -> list[tuple[str, Ref]]:
        return [("return", self.next)] if self.next else []


@dataclass(kw_only=True)
class ReturnNode(Node):
    type: str = "return"


@dataclass(kw_only=True)
class HangupNode(Node):
    prompts: list[PromptUse] = field(default_factory=list)
    type: str = "hangup"


AnyNode = Union[
    PlayNode, MenuNode, InputNode, BranchNode, QueueNode, VoicemailNode, CallbackNode, SurveyNode,
    TransferNode, LanguageNode, GotoNode, SubflowNode, ReturnNode, HangupNode,
]
NODE_TYPES = (
    "play", "menu", "input", "branch", "queue", "voicemail", "callback_request", "survey",
    "transfer", "language", "goto", "subflow", "return", "hangup",
)
#: Nodes that end the IVR's part of the call.
TERMINAL_TYPES = ("transfer", "hangup", "return")


@dataclass
class Flow:
    name: str
    path: str
    version: int
    start: Ref
    language: str
    languages: list[str]
    zone: tzinfo
    description: str = ""
    prompts: dict[str, Prompt] = field(default_factory=dict)
    caller_lists: dict[str, CallerList] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    schedule_marks: dict[str, Mark] = field(default_factory=dict)
    nodes: dict[str, AnyNode] = field(default_factory=dict)
    is_subflow: bool = False

    def prompt_text(self, prompt_id: str, language: str) -> str:
        prompt = self.prompts.get(prompt_id)
        if prompt is None:
            return ""
        return prompt.text.get(language) or prompt.text.get(self.language) or next(iter(prompt.text.values()), "")


def node_names(flow: Flow, prefix: str = "") -> list[tuple[str, str]]:
    """(name, type) of every node, sub-flow nodes as ``subflownode/node`` (as journeys
    name them), in file order."""
    names = []
    for node in flow.nodes.values():
        names.append((prefix + node.id, node.type))
        if isinstance(node, SubflowNode) and node.flow is not None:
            names.extend(node_names(node.flow, f"{prefix}{node.id}/"))
    return names
