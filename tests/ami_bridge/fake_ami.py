"""A stand-in for Asterisk's manager port: replays a recorded trace over real TCP.

It answers ``Login``, ``Ping``, ``QueuePause`` and, for a resync, ``CoreShowChannels``
and ``QueueStatus`` with the channels and waiting callers alive at the point the
stream has reached (worked out here by simply scanning the trace, independently of the
tracker under test). It can drop the connection after some messages and, on the next
login, resume the stream where told, to play an outage.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

from ami_bridge.framing import Framer
from ami_bridge.message import Message

Headers = list[tuple[str, str]]


def load_jsonl(path: Path, *, timestamps: bool) -> tuple[str, list[Headers]]:
    """Banner and the messages after the capture's own login response. With
    ``timestamps`` every event gets Asterisk's ``Timestamp`` header (``timestampevents``)
    from the recorded receive time, so a fast replay keeps the calls' real timing."""
    banner = "Asterisk Call Manager/11.0.0"
    messages: list[Headers] = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if "banner" in record:
            banner = record["banner"]
            continue
        headers = [(k, v) for k, v in record["headers"]]
        if headers[0] == ("Response", "Success") and dict(headers).get("ActionID") == "login-1":
            continue
        if timestamps and headers[0][0] == "Event":
            headers.insert(2, ("Timestamp", f"{record['ts']:.6f}"))
        messages.append(headers)
    return banner, messages


def encode(headers: Headers) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers).encode() + b"\r\n"


def alive_at(messages: list[Headers], position: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Channels up and callers waiting after ``messages[:position]``."""
    channels: dict[str, dict[str, str]] = {}
    waiting: dict[str, dict[str, str]] = {}
    for headers in messages[:position]:
        d = dict(headers)
        event = d.get("Event")
        if event == "Newchannel":
            channels[d["Uniqueid"]] = d
        elif event == "Hangup":
            channels.pop(d.get("Uniqueid", ""), None)
        elif event == "QueueCallerJoin":
            waiting[d["Uniqueid"]] = d
        elif event in ("QueueCallerLeave",):
            waiting.pop(d.get("Uniqueid", ""), None)
    return list(channels.values()), list(waiting.values())


@dataclass
class FakeAmi:
    banner: str
    messages: list[Headers]
    secret: str = "bridgepw"
    #: Close the connection after sending this many stream messages (first connection only).
    drop_after: int | None = None
    #: Where the stream resumes after a drop (default: where it stopped).
    resume_at: int | None = None
    #: Send at this many times the recorded pace (needs Timestamps); None: as fast as possible.
    speed: float | None = None
    logins: int = 0
    actions: list[dict[str, str]] = field(default_factory=list)
    position: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def clock(self) -> float | None:
        """The PBX's time at the stream position, when the trace carries Timestamps."""
        for headers in reversed(self.messages[: max(self.position, 1)]):
            for key, value in headers:
                if key == "Timestamp":
                    return float(value)
        return None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"{self.banner}\r\n".encode())
        framer = Framer(expect_banner=False)
        streaming: asyncio.Task[None] | None = None
        try:
            while data := await reader.read(65536):
                for item in framer.feed(data):
                    if not isinstance(item, Message):
                        continue
                    action = item.as_dict()
                    self.actions.append(action)
                    reply = self._reply(action)
                    for message in reply:
                        writer.write(encode(message))
                    await writer.drain()
                    if action.get("Action") == "QueueStatus" and streaming is None:
                        streaming = asyncio.create_task(self._stream(writer))
        except ConnectionError:
            pass
        finally:
            if streaming is not None:
                streaming.cancel()
            writer.close()

    def _reply(self, action: dict[str, str]) -> list[Headers]:
        name = action.get("Action", "")
        aid = ("ActionID", action.get("ActionID", ""))
        if name == "Login":
            if action.get("Secret") != self.secret:
                return [[("Response", "Error"), aid, ("Message", "Authentication failed")]]
            self.logins += 1
            if self.logins > 1 and self.resume_at is not None:
                self.position = self.resume_at
            booted: Headers = [("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", "1000"), ("Status", "Fully Booted")]
            if self.clock is not None:
                booted.insert(2, ("Timestamp", f"{self.clock:.6f}"))
            return [[("Response", "Success"), aid, ("Message", "Authentication accepted")], booted]
        if name == "Ping":
            return [[("Response", "Success"), aid, ("Ping", "Pong"), ("Timestamp", "0.0")]]
        if name == "QueuePause":
            return [[("Response", "Success"), aid, ("Message", "Interface paused successfully")]]
        if name == "Originate":
            if "/" not in action.get("Channel", ""):
                return [[("Response", "Error"), aid, ("Message", "Invalid channel")]]  # as Asterisk 22 answers (pjsip22_originate)
            return [[("Response", "Success"), aid, ("Message", "Originate successfully queued")]]
        if name == "Redirect":
            return [[("Response", "Success"), aid, ("Message", "Redirect successful")]]
        channels, waiting = alive_at(self.messages, self.position)
        if name == "CoreShowChannels":
            out: list[Headers] = [[("Response", "Success"), aid, ("EventList", "start"), ("Message", "Channels will follow")]]
            for c in channels:
                out.append([("Event", "CoreShowChannel"), aid, ("Channel", c["Channel"]), ("Uniqueid", c["Uniqueid"]), ("Linkedid", c["Linkedid"]),
                            ("CallerIDNum", c.get("CallerIDNum", "")), ("Duration", "00:00:01"), ("BridgeId", "")])
            out.append([("Event", "CoreShowChannelsComplete"), aid, ("EventList", "Complete"), ("ListItems", str(len(channels)))])
            return out
        if name == "QueueSummary":
            out = [[("Response", "Success"), aid, ("EventList", "start"), ("Message", "Queue summary will follow")]]
            for queue in sorted({w["Queue"] for w in waiting} | {"support"}):
                callers = sum(w["Queue"] == queue for w in waiting)
                out.append([("Event", "QueueSummary"), ("Queue", queue), ("LoggedIn", "3"), ("Available", "1"), ("Callers", str(callers)), ("HoldTime", "0"), ("TalkTime", "0"), ("LongestHoldTime", "0"), aid])
            out.append([("Event", "QueueSummaryComplete"), aid, ("EventList", "Complete"), ("ListItems", str(len(out) - 1))])
            return out
        if name == "QueueStatus":
            out = [[("Response", "Success"), aid, ("EventList", "start"), ("Message", "Queue status will follow")]]
            for w in waiting:
                out.append([("Event", "QueueEntry"), aid, ("Queue", w["Queue"]), ("Position", w["Position"]), ("Channel", w["Channel"]),
                            ("Uniqueid", w["Uniqueid"]), ("CallerIDNum", w.get("CallerIDNum", "")), ("Wait", "1")])
            out.append([("Event", "QueueStatusComplete"), aid, ("EventList", "Complete"), ("ListItems", str(len(waiting)))])
            return out
        return [[("Response", "Error"), aid, ("Message", "Invalid/unknown command")]]

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        first = self.logins == 1
        while self.position < len(self.messages):
            if first and self.drop_after is not None and self.position >= self.drop_after:
                writer.transport.abort()  # an outage, not a goodbye
                return
            message = self.messages[self.position]
            if self.speed is not None:
                now = next((float(v) for k, v in message if k == "Timestamp"), None)
                before = self.clock
                if now is not None and before is not None and now > before:
                    await writer.drain()
                    await asyncio.sleep((now - before) / self.speed)
            writer.write(encode(message))
            self.position += 1
            if self.position % 200 == 0:
                await writer.drain()
        await writer.drain()
        self.finished.set()
