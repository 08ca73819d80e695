"""A peer that plays Asterisk's side of FastAGI over real TCP, from the recorded traces.

Replies come from ``tests/data/agi/*.agi.txt`` (what Asterisk 22 answered to each kind of
command, and what a hang-up during a command looks like); a test only says what the
caller keys and when the caller hangs up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import DATA

AGI = DATA / "agi"
DEAD_CHANNEL = "511 Command Not Permitted on a dead channel or intercept routine"
# res_agi (22.10.1): commands allowed on a dead channel; everything else gets 511.
ALLOWED_DEAD = ("EXEC", "GET VARIABLE", "GET FULL VARIABLE", "SET VARIABLE", "DATABASE", "VERBOSE", "NOOP")


def conversation(name: str) -> list[tuple[str, str]]:
    """(direction, line) of a trace: '<' from Asterisk, '>' to it."""
    lines = []
    for raw in (AGI / f"{name}.agi.txt").read_text(encoding="utf-8").split("\n"):
        if raw.startswith("<< "):
            lines.append(("<", raw[3:]))
        elif raw.startswith(">> "):
            lines.append((">", raw[3:]))
    return lines


def environment(name: str) -> list[str]:
    env = []
    for direction, line in conversation(name):
        if direction != "<" or line == "":
            break
        env.append(line)
    return env


def recorded_replies(name: str) -> dict[str, str]:
    """The first reply Asterisk gave to each command in a trace, keyed by command text."""
    replies: dict[str, str] = {}
    items = conversation(name)
    for i, (direction, line) in enumerate(items):
        if direction == ">" and i + 1 < len(items):
            reply = next(text for d, text in items[i + 1:] if d == "<" and text != "HANGUP")
            replies.setdefault(line, reply)
    return replies


REPLIES = recorded_replies("agi22_replies")
DURING_STREAM = recorded_replies("agi22_hangup_during_stream")
DURING_EXEC = recorded_replies("agi22_hangup_during_exec")


def normal_reply(command: str, keys: list[str], members: dict[str, str]) -> str:
    """What Asterisk 22 answered in the recorded call, for a command of the same kind."""
    verb = command.split(" ")
    if command == "ANSWER":
        return REPLIES["ANSWER"]
    if command.startswith("GET VARIABLE CHANNEL(linkedid)"):
        return REPLIES["GET VARIABLE CHANNEL(linkedid)"]
    if command.startswith("GET VARIABLE "):
        value = members.get(verb[2])
        return f"200 result=1 ({value})" if value else REPLIES["GET VARIABLE NO_SUCH_VAR"]
    if command.startswith("SET VARIABLE ") or command.startswith("SET CONTEXT") or command.startswith("SET EXTENSION") or command.startswith("SET PRIORITY"):
        return REPLIES["SET VARIABLE HOTLINE_NODE menu"] if command.startswith("SET VARIABLE") else "200 result=0"
    if command.startswith("STREAM FILE no-such"):
        return REPLIES['STREAM FILE no-such-prompt ""']
    if command.startswith("STREAM FILE") or command.startswith("SAY DIGITS"):
        escape = command.rsplit(" ", 1)[-1]
        if escape != '""' and keys and keys[0] and keys[0][0] not in "-+":
            # The caller keys during the prompt: Asterisk answers with the key's code.
            key = keys[0][0]
            keys[0] = keys[0][1:]
            if not keys[0]:
                keys.pop(0)
            return f"200 result={ord(key)} endpos=1200"
        return REPLIES['STREAM FILE beep ""'] if command.startswith("STREAM") else REPLIES['SAY DIGITS 123 ""']
    if command.startswith("GET DATA"):
        entry = keys.pop(0) if keys else "-"
        if entry == "-":
            return REPLIES["GET DATA beep 1500 2"]  # "200 result= (timeout)"
        digits = entry.split("#")[0]
        return f"200 result={digits}" if "#" in entry or len(digits) >= int(verb[4]) else f"200 result={digits} (timeout)"
    if command.startswith("WAIT FOR DIGIT"):
        if not keys or keys[0] == "-":
            if keys:
                keys.pop(0)
            return REPLIES["WAIT FOR DIGIT 2000"]  # "200 result=0"
        keys[0] = keys[0].lstrip("+")  # '+4': keyed after the prompt, while Asterisk waits
        key = keys[0][0]
        keys[0] = keys[0][1:]
        if not keys[0]:
            keys.pop(0)
        return f"200 result={ord(key)}"
    if command.startswith("RECORD FILE"):
        return REPLIES['RECORD FILE /var/spool/asterisk/tmp/hotline-test-dtmf wav "#" 6000']
    if command.startswith("EXEC Queue"):
        return "200 result=0"  # with the 'c' option Queue returns 0 when the agent hangs up
    if command.startswith("EXEC"):
        return REPLIES["EXEC Playback beep"]
    if command == "NOOP":
        return DURING_STREAM["NOOP"]
    if command == "HANGUP":
        return REPLIES["HANGUP"]
    return REPLIES["NOSUCHCOMMAND"]


def hangup_reply(command: str) -> str:
    """Asterisk's reply to the command during which the caller hangs up."""
    if command.startswith("STREAM FILE") or command.startswith("SAY"):
        return DURING_STREAM['STREAM FILE hotline-long ""']  # 200 result=-1 endpos=20160
    if command.startswith("EXEC"):
        return DURING_EXEC["EXEC Wait 10"]  # 200 result=-1
    if command.startswith("GET DATA") or command.startswith("WAIT FOR DIGIT"):
        return "200 result=-1"  # agi_hangup (Asterisk 20): GET DATA during the hang-up
    if command.startswith("RECORD FILE"):
        return "200 result=-1 (hangup) endpos=16000"  # res_agi handle_recordfile on hang-up
    return ""  # commands that do not wait on the channel answer normally


@dataclass
class FakeAsterisk:
    """One call. ``keys``: what the caller keys at each prompt ('-' = nothing, '+4' = 4
    after the prompt has finished, else during it);
    ``hangup_at``: the index of the command during which the caller hangs up."""

    script: str = "hotline"
    keys: list[str] = field(default_factory=list)
    hangup_at: int | None = None
    members: dict[str, str] = field(default_factory=dict)
    env_trace: str = "agi22_env_args"
    env_overrides: dict[str, str] = field(default_factory=dict)
    override: Callable[[int, str], str | None] | None = None
    commands: list[str] = field(default_factory=list)
    dead: bool = False
    closed_by_server: bool = False

    def env_lines(self) -> list[str]:
        lines = []
        for line in environment(self.env_trace):
            key, _, value = line.partition(": ")
            if key == "agi_network_script":
                value = self.script
            elif key == "agi_request":
                value = f"agi://127.0.0.1:4573/{self.script}"
            value = self.env_overrides.get(key, value)
            lines.append(f"{key}: {value}")
        return lines

    async def call(self, port: int, timeout: float = 10.0) -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(("\n".join(self.env_lines()) + "\n\n").encode())
            await writer.drain()
            await asyncio.wait_for(self._serve(reader, writer), timeout)
        finally:
            writer.close()
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        notice_pending = False
        while True:
            line = await reader.readline()
            if not line:
                self.closed_by_server = True
                return
            command = line.decode().rstrip("\n")
            index = len(self.commands)
            self.commands.append(command)
            out: list[str] = []
            if notice_pending:
                out.append("HANGUP")  # before the reply to the first command after the hang-up
                notice_pending = False
            reply = self.override(index, command) if self.override else None
            if reply is None:
                if self.dead:
                    reply = normal_reply(command, [], self.members) if command.startswith(ALLOWED_DEAD) else DEAD_CHANNEL
                    if command == "NOOP":
                        reply = DURING_STREAM["NOOP"]
                elif index == self.hangup_at:
                    reply = hangup_reply(command) or normal_reply(command, self.keys, self.members)
                    self.dead = True
                    notice_pending = True
                else:
                    reply = normal_reply(command, self.keys, self.members)
            if command == "HANGUP" and not self.dead:
                out.append(reply)
                out.append("HANGUP")  # Asterisk's notice ~43 ms after a HANGUP's reply
                self.dead = True
            else:
                out.append(reply)
            writer.write(("\n".join(out) + "\n").encode())
            await writer.drain()


