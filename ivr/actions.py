"""The vocabulary between the IVR engine and a runtime (sans-I/O).

The engine *yields actions* ("play these prompts", "collect up to 11 digits") and the
runtime performs them on whatever carries the call (FastAGI, a SIP endpoint, the console
simulator, a test) and *feeds back a result*. Prompts carry both their sound file and
their words, so a runtime that synthesizes speech needs nothing more from the engine.

``needs_channel`` tells a runtime which actions still make sense once the caller has
hung up (storing a voicemail or a callback request does; playing a prompt does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union


# --- what a prompt is made of ------------------------------------------------------

@dataclass(frozen=True)
class PromptItem:
    id: str
    file: str
    text: str
    language: str


@dataclass(frozen=True)
class DigitsItem:
    """Digits read out one by one (a phone number being confirmed)."""

    digits: str


Item = Union[PromptItem, DigitsItem]


# --- actions (engine → runtime) -------------------------------------------------------

@dataclass(frozen=True)
class Play:
    items: tuple[Item, ...]
    needs_channel = True


@dataclass(frozen=True)
class Collect:
    """Play ``items`` (the caller may key during them) and collect up to ``max_digits``.

    ``terminator`` '#' ends input and is not part of the digits; empty means '#' is a
    digit like any other. ``timeout_s`` is how long to wait for a key after the prompt.
    """

    items: tuple[Item, ...]
    max_digits: int
    timeout_s: float
    terminator: str = "#"
    needs_channel = True


@dataclass(frozen=True)
class Record:
    tag: str  # the runtime makes a file name from the call's ids and this
    max_s: float
    silence_s: float | None
    beep: bool
    items: tuple[Item, ...] = ()
    needs_channel = True


@dataclass(frozen=True)
class SetVariable:
    name: str
    value: str
    needs_channel = False  # Asterisk still accepts SET VARIABLE on a dead channel


@dataclass(frozen=True)
class SetLanguage:
    language: str
    needs_channel = False


@dataclass(frozen=True)
class JoinQueue:
    queue: str
    priority: int
    max_wait_s: float | None
    items: tuple[Item, ...] = ()
    needs_channel = True


@dataclass(frozen=True)
class RequestCallback:
    number: str
    due_at: float  # epoch seconds
    note: str
    needs_channel = False


@dataclass(frozen=True)
class SaveSurvey:
    question: str
    score: int
    queue: str
    agent_interface: str
    agent_name: str
    needs_channel = False


@dataclass(frozen=True)
class SaveVoicemail:
    path: str
    duration_s: float
    mailbox: str
    needs_channel = False


# Terminal actions: the engine expects no result after them.

@dataclass(frozen=True)
class Transfer:
    extension: str
    context: str | None
    needs_channel = True


@dataclass(frozen=True)
class Hangup:
    needs_channel = True


@dataclass(frozen=True)
class End:
    """Nothing left to do on the call (the caller is gone, or the flow could not run)."""

    needs_channel = False


Action = Union[Play, Collect, Record, SetVariable, SetLanguage, JoinQueue, RequestCallback, SaveSurvey, SaveVoicemail, Transfer, Hangup, End]
TERMINAL = (Transfer, Hangup, End)


# --- results (runtime → engine) ---------------------------------------------------

@dataclass(frozen=True)
class Done:
    """The action was carried out. ``missing`` names prompts the runtime could not play."""

    missing: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Digits:
    digits: str
    timed_out: bool = False


@dataclass(frozen=True)
class Recorded:
    path: str
    duration_s: float
    ended_by: Literal["dtmf", "timeout", "silence", "hangup"]


@dataclass(frozen=True)
class QueueResult:
    outcome: Literal["answered", "timeout", "unavailable"]
    reason: str = ""  # Asterisk's QUEUESTATUS when not answered
    agent_interface: str = ""
    agent_name: str = ""
    caller_gone: bool = False  # the caller hung up (after talking, when answered)


@dataclass(frozen=True)
class CallerHangup:
    pass


@dataclass(frozen=True)
class Failed:
    """The runtime could not carry the action out (the PBX refused the command, the
    database was down); ``reason`` is for the journey and the log."""

    reason: str


Result = Union[Done, Digits, Recorded, QueueResult, CallerHangup, Failed]


@dataclass
class Step:
    """One visit of one node: what a journey is made of."""

    node: str
    type: str
    entered_at: float
    left_at: float | None = None
    prompts: list[str] = field(default_factory=list)
    digits: str = ""
    outcome: str = ""
    timeouts: int = 0
    invalid: int = 0
    detail: dict[str, str] = field(default_factory=dict)
