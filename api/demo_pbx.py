"""The demo's PBX: a manager port that plays recorded AMI traffic at its recorded pace,
so ``hotline demo`` can run the real bridge, the live feed and the wallboard without an
Asterisk.

It accepts the bridge's login, answers its resync with empty lists (the demo starts with
an idle PBX), then plays the traces, message by message, waiting the recorded gap before
each (capped, so a long pause in a capture does not stall the demo). Recorded
``Timestamp`` headers are dropped: the bridge dates events by their arrival, so the
demo's calls happen *now* and today's figures on the wallboard move. ``QueuePause`` is
answered and followed by the ``QueueMemberPause`` event Asterisk would send for every
queue the interface is a member of, so pausing from the API shows on the wallboard.
With ``repeat`` the traces play again and again, each time with new call ids.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ami_bridge.framing import Framer
from ami_bridge.message import Message

log = logging.getLogger("hotline.demo")

Headers = list[tuple[str, str]]
LIST_ACTIONS = {"CoreShowChannels": "CoreShowChannelsComplete", "QueueStatus": "QueueStatusComplete", "QueueSummary": "QueueSummaryComplete"}


def read_traces(paths: list[Path], *, max_gap_s: float) -> Iterator[tuple[float, Headers]]:
    """(seconds to wait before it, message) for every recorded message of ``paths``."""
    for path in paths:
        previous: float | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if "banner" in record:
                continue
            headers = [(str(k), str(v)) for k, v in record["headers"] if k != "Timestamp"]
            if headers[0][0] == "Response" and dict(headers).get("ActionID") == "login-1":
                continue  # the recorder's own login
            ts = record.get("ts")
            gap = 0.0 if previous is None or ts is None else min(max(ts - previous, 0.0), max_gap_s)
            previous = ts if ts is not None else previous
            yield gap, headers


_ID = re.compile(r"\b(1\d{9})\.(\d+)\b")


def renumbered(headers: Headers, round_: int) -> Headers:
    """``headers`` with every Asterisk id (``Uniqueid``, ``Linkedid`` … ``1795494751.0``)
    made new for the ``round_``-th replay, so each replay is a new set of calls rather than
    the same calls again (their epoch moves on by a day per round, their counter by 10⁶)."""
    if round_ == 0:
        return headers
    return [(k, _ID.sub(lambda m: f"{int(m.group(1)) + 86400 * round_}.{int(m.group(2)) + 1_000_000 * round_}", v)) for k, v in headers]


def encode(headers: Headers) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers).encode() + b"\r\n"


@dataclass
class TracePlayer:
    paths: list[Path]
    username: str
    secret: str
    #: 2.0 plays twice as fast as recorded.
    speed: float = 1.0
    max_gap_s: float = 5.0
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    #: When given, playing waits until it is set (a test opens the wallboard first).
    go: asyncio.Event | None = None
    #: Play the traces again and again (with new ids each time), so a demo keeps moving.
    repeat: bool = False
    #: Set after the first complete pass over the traces.
    rounds: int = 0
    played: int = 0
    #: (queue, interface) → member name, from the traffic played so far.
    members: dict[tuple[str, str], str] = field(default_factory=dict)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._connections: set[asyncio.Task[None]] = set()
        self._server = await asyncio.start_server(self._handle, host, port)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        # Connections still open (the bridge's) end too, so nothing is left running.
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._converse(reader, writer)
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(task)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        framer = Framer(expect_banner=False)
        playing: asyncio.Task[None] | None = None
        logged_in = False
        try:
            while data := await reader.read(65536):
                for item in framer.feed(data):
                    if not isinstance(item, Message):
                        continue
                    action = item.as_dict()
                    name = action.get("Action", "")
                    aid = ("ActionID", action.get("ActionID", ""))
                    if name == "Login":
                        logged_in = action.get("Username") == self.username and action.get("Secret") == self.secret
                        writer.write(encode([("Response", "Success" if logged_in else "Error"), aid, ("Message", "Authentication accepted" if logged_in else "Authentication failed")]))
                    elif not logged_in:
                        writer.write(encode([("Response", "Error"), aid, ("Message", "Permission denied")]))
                    elif name in LIST_ACTIONS:
                        writer.write(encode([("Response", "Success"), aid, ("EventList", "start"), ("Message", "List will follow")]))
                        writer.write(encode([("Event", LIST_ACTIONS[name]), aid, ("EventList", "Complete"), ("ListItems", "0")]))
                        if name == "QueueStatus" and playing is None:
                            playing = asyncio.create_task(self._play(writer))
                    elif name == "QueuePause":
                        for message in self._pause(action, aid):
                            writer.write(encode(message))
                    else:
                        writer.write(encode([("Response", "Success"), aid, ("Ping", "Pong") if name == "Ping" else ("Message", "OK")]))
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            if playing is not None:
                playing.cancel()
            writer.close()

    def _pause(self, action: dict[str, str], aid: tuple[str, str]) -> list[Headers]:
        interface = action.get("Interface", "")
        paused = action.get("Paused", "").lower() in ("true", "yes", "1")
        queues = [q for (q, i) in self.members if i == interface and (not action.get("Queue") or q == action["Queue"])]
        if not queues:
            return [[("Response", "Error"), aid, ("Message", "Interface not found")]]
        out: list[Headers] = [[("Response", "Success"), aid, ("Message", "Interface paused successfully" if paused else "Interface unpaused successfully")]]
        for queue in queues:
            out.append([
                ("Event", "QueueMemberPause"), ("Privilege", "agent,all"), ("Queue", queue), ("MemberName", self.members[(queue, interface)]),
                ("Interface", interface), ("StateInterface", interface), ("Membership", "dynamic"), ("Penalty", "0"), ("CallsTaken", "0"),
                ("LastCall", "0"), ("LastPause", str(int(time.time()))), ("InCall", "0"), ("Status", "1"), ("Paused", "1" if paused else "0"),
                ("PausedReason", action.get("Reason", "") if paused else ""), ("Ringinuse", "0"), ("Wrapuptime", "0"),
            ])
        return out

    async def _play(self, writer: asyncio.StreamWriter) -> None:
        if self.go is not None:
            await self.go.wait()
        while True:
            for gap, headers in read_traces(self.paths, max_gap_s=self.max_gap_s):
                if gap > 0:
                    await writer.drain()
                    await asyncio.sleep(gap / self.speed)
                headers = renumbered(headers, self.rounds)
                fields = dict(headers)
                # Member events, and AgentCalled/AgentConnect (chan_sip queues announce no members).
                if fields.get("Queue") and fields.get("Interface") and fields.get("MemberName") and fields.get("Event") != "QueueMemberRemoved":
                    self.members[(fields["Queue"], fields["Interface"])] = fields["MemberName"]
                writer.write(encode(headers))
                self.played += 1
            await writer.drain()
            self.rounds += 1
            log.info("demo PBX: played the traces %d time(s), %d AMI messages", self.rounds, self.played)
            self.finished.set()
            if not self.repeat:
                return
            await asyncio.sleep(self.max_gap_s / self.speed)
