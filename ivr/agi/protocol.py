"""The AGI wire format, without I/O: environment lines in, commands out, replies in.

What Asterisk really sends (../shared/agi-traces, Asterisk 20 and 22):
- an environment block of ``agi_key: value`` lines ending with an empty line;
- replies ``200 result=N [(data)] [endpos=N]``; ``result=`` may be empty
  (``200 result= (timeout)``); data may hold spaces and brackets (``("Hotline" <800>)``);
- ``510`` (unknown command), ``511`` (dead channel), ``520-`` … ``520 `` multi-line usage;
- an unsolicited ``HANGUP`` line once the caller has hung up, before the reply to the
  next command (or right after the reply of the current one).
Lines end with ``\\n`` only; a reader must go line by line (a 520 arrives in pieces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_ENV_LINES = 200
MAX_LINE = 8192
_REPLY = re.compile(r"^(?P<code>\d{3})(?P<sep>[ -])(?P<rest>.*)$")
_RESULT = re.compile(r"^result=(?P<result>\S*)(?: \((?P<data>.*)\))?(?: endpos=(?P<endpos>-?\d+))?(?P<extra>.*)$")


class AgiProtocolError(ValueError):
    """Asterisk (or whatever connected) sent something that is not AGI."""


@dataclass
class Environment:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(f"agi_{key}", "")

    @property
    def script(self) -> str:
        """The flow name: ``agi_network_script`` is the URL path after the port."""
        return self.get("network_script").strip("/")

    @property
    def args(self) -> list[str]:
        args = []
        for i in range(1, 100):
            key = f"agi_arg_{i}"
            if key not in self.values:
                break
            args.append(self.values[key])
        return args

    @property
    def caller(self) -> str:
        number = self.get("callerid")
        return "" if number in ("unknown", "anonymous") else number


class EnvironmentReader:
    """Feed lines until ``done``."""

    def __init__(self) -> None:
        self.environment = Environment()
        self.done = False
        self._lines = 0

    def feed(self, line: str) -> None:
        if self.done:
            raise AgiProtocolError("environment already complete")
        self._lines += 1
        if self._lines > MAX_ENV_LINES:
            raise AgiProtocolError(f"environment longer than {MAX_ENV_LINES} lines")
        if line == "":
            if not self.environment.values:
                raise AgiProtocolError("empty environment block")
            self.done = True
            return
        key, sep, value = line.partition(": ")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep or not key.startswith("agi_") or " " in key:
            raise AgiProtocolError(f"not an AGI environment line: {line[:80]!r}")
        self.environment.values[key] = value.strip() if key != "agi_accountcode" else value


@dataclass
class Reply:
    code: int
    result: str = ""
    data: str | None = None  # the text in brackets: a variable's value, "timeout", "dtmf"
    endpos: int | None = None
    text: str = ""  # the whole reply (all lines of a 520)

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def number(self) -> int | None:
        try:
            return int(self.result)
        except ValueError:
            return None


class HangupNotice:
    """Asterisk's unsolicited ``HANGUP`` line."""


HANGUP_NOTICE = HangupNotice()


class ReplyReader:
    """Feed reply lines; ``feed`` returns a ``Reply``, the ``HANGUP_NOTICE``, or None
    while a multi-line reply is still coming."""

    def __init__(self) -> None:
        self._usage: list[str] | None = None

    def feed(self, line: str) -> Reply | HangupNotice | None:
        if self._usage is not None:
            self._usage.append(line)
            if line.startswith("520 "):
                text, self._usage = "\n".join(self._usage), None
                return Reply(520, text=text)
            if len(self._usage) > 200:
                raise AgiProtocolError("a 520 usage reply longer than 200 lines")
            return None
        if line == "HANGUP":
            return HANGUP_NOTICE
        m = _REPLY.match(line)
        if not m:
            raise AgiProtocolError(f"not an AGI reply: {line[:80]!r}")
        code = int(m.group("code"))
        if m.group("sep") == "-":
            if code != 520:
                raise AgiProtocolError(f"unexpected multi-line reply: {line[:80]!r}")
            self._usage = [line]
            return None
        rest = m.group("rest")
        if code != 200:
            return Reply(code, text=line)
        r = _RESULT.match(rest)
        if not r:
            raise AgiProtocolError(f"200 reply without result=: {line[:80]!r}")
        endpos = r.group("endpos")
        return Reply(200, r.group("result"), r.group("data"), int(endpos) if endpos is not None else None, line)


def quote(argument: str) -> str:
    """One AGI argument: Asterisk splits on spaces outside double quotes and honours
    backslash escapes inside them."""
    if "\n" in argument or "\r" in argument:
        raise ValueError("an AGI argument cannot hold a line break")
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


def word(argument: str) -> str:
    """An argument that must be a single bare word (a file, a variable name)."""
    if not argument or any(ch in argument for ch in ' "\\\n\r\t'):
        raise ValueError(f"{argument!r} cannot be sent as one AGI word")
    return argument


def command(*parts: str) -> bytes:
    return (" ".join(parts) + "\n").encode("utf-8")
