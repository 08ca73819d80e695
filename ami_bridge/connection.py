"""One logged-in AMI connection on asyncio: actions out, messages in.

Actions are built with the chosen package ``asterisk-ami`` (``asterisk.ami.Action`` and
``LoginAction`` and their wire format). Its ``AMIClient`` is not used for the
connection itself, because the bridge cannot live with what it does:

* it reads in a thread with a blocking socket and calls listeners from that thread,
  while the bridge runs on an asyncio loop and must never block it;
* it folds repeated keys into dicts (``ChanVariable`` pairs lose their order, and
  ``ChanVariable(<channel>)`` keys overwrite each other) and decodes bytes lossily,
  while the journal must keep the exact bytes;
* it reads 1 KiB at a time and splits with regular expressions on a growing buffer
  (``bench/ami_ingest.py`` measures it as the baseline).

So the transport is asyncio streams and the framing is ``framing.Framer``; every received
message, with its receive time, goes to the ``on_messages`` callback in arrival order.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable

from asterisk.ami import Action, LoginAction

from ami_bridge.framing import Banner, Framer, Problem
from ami_bridge.message import Message

log = logging.getLogger(__name__)

READ_SIZE = 1 << 16


class AmiError(Exception):
    """Base of the errors an AMI peer causes."""


class AmiNotConnected(AmiError):
    pass


class AmiProtocolError(AmiError):
    pass


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error``."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action}: {message}")
        self.action = action
        self.message = message


def encode_action(action: Action) -> bytes:
    """The action's wire bytes (asterisk-ami's format), refusing header injection.

    A CR or LF inside a value would let a caller-supplied string (a pause reason, a
    number to call back) add headers or whole actions of its own.
    """
    fields = [("Action", action.name), *action.keys.items(), *action.variables.items()]
    for key, value in fields:
        text = f"{key}{value}"
        if "\r" in text or "\n" in text:
            raise ValueError(f"AMI action {action.name}: header {key!r} contains a line break")
    return (str(action) + "\r\n").encode("utf-8")


MessageSink = Callable[[list[tuple[Message, float]]], None]


class AmiSession:
    """A connected, logged-in AMI session. ``run`` reads until the peer goes away."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, on_messages: MessageSink) -> None:
        self._reader = reader
        self._writer = writer
        self._on_messages = on_messages
        self._framer = Framer()
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._lists: dict[str, list[Message]] = {}  # events of list actions, by ActionID
        self._list_done: dict[str, asyncio.Future[list[Message]]] = {}
        self._ids = itertools.count(1)
        self.banner: str | None = None
        self.problems = 0
        self._closed = False
        self._may_read = asyncio.Event()
        self._may_read.set()

    @classmethod
    async def open(
        cls, host: str, port: int, username: str, secret: str, on_messages: MessageSink, *, timeout: float = 10.0
    ) -> tuple[AmiSession, asyncio.Task[None]]:
        """Connect and log in; return the session and its running reader task."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        session = cls(reader, writer, on_messages)
        task = asyncio.create_task(session.run(), name=f"ami-reader-{host}:{port}")
        try:
            await session.request(LoginAction(username, secret), timeout=timeout)
        except BaseException:
            session.close()
            task.cancel()
            raise
        return session, task

    async def request(self, action: Action, *, timeout: float = 10.0) -> Message:
        """Send ``action``; return Asterisk's response (for list actions, the first one).

        Raises ``AmiActionError`` when Asterisk answers ``Response: Error``.
        """
        if self._closed:
            raise AmiNotConnected("the AMI connection is closed")
        action_id = f"hotline-{next(self._ids)}"
        action.keys["ActionID"] = action_id
        data = encode_action(action)
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = future
        try:
            self._writer.write(data)
            await self._writer.drain()
            response = await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(action_id, None)
        if (response.get("Response") or "").lower() == "error":
            raise AmiActionError(action.name, response.get("Message") or "error")
        return response

    async def request_list(self, action: Action, *, timeout: float = 10.0) -> list[Message]:
        """Send a list action (``QueueStatus``, ``QueueSummary``, ``CoreShowChannels``…)
        and return its events, up to the closing ``…Complete`` event."""
        if self._closed:
            raise AmiNotConnected("the AMI connection is closed")
        action_id = f"hotline-{next(self._ids)}"
        action.keys["ActionID"] = action_id
        self._lists[action_id] = []
        done: asyncio.Future[list[Message]] = asyncio.get_running_loop().create_future()
        self._list_done[action_id] = done
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = future
        try:
            self._writer.write(encode_action(action))
            await self._writer.drain()
            response = await asyncio.wait_for(future, timeout)
            if (response.get("Response") or "").lower() == "error":
                raise AmiActionError(action.name, response.get("Message") or "error")
            return await asyncio.wait_for(done, timeout)
        finally:
            self._pending.pop(action_id, None)
            self._lists.pop(action_id, None)
            self._list_done.pop(action_id, None)

    async def run(self) -> None:
        """Read and dispatch until the connection ends (then raise ``ConnectionError``)."""
        try:
            while True:
                await self._may_read.wait()
                data = await self._reader.read(READ_SIZE)
                if not data:
                    raise ConnectionResetError("AMI peer closed the connection")
                self._dispatch(self._framer.feed(data), time.time())
        finally:
            self.close()

    def _dispatch(self, items: list[Banner | Message | Problem], received_at: float) -> None:
        batch = [(item, received_at) for item in items if item.__class__ is Message]
        if len(batch) != len(items):
            for item in items:
                if isinstance(item, Banner):
                    self.banner = item.text
                elif isinstance(item, Problem):
                    self.problems += 1
                    log.warning("%s", item)
        if self._pending:
            for message, _ in batch:
                action_id = message.get("ActionID")  # type: ignore[union-attr]
                if action_id is None or action_id not in self._pending:
                    continue
                if not message.is_event:  # type: ignore[union-attr]
                    future = self._pending[action_id]
                    if not future.done():
                        future.set_result(message)  # type: ignore[arg-type]
                elif action_id in self._lists:
                    if message.get("EventList") == "Complete" or message.name.endswith("Complete"):  # type: ignore[union-attr]
                        done = self._list_done[action_id]
                        if not done.done():
                            done.set_result(self._lists[action_id])
                    else:
                        self._lists[action_id].append(message)  # type: ignore[arg-type]
        if batch:
            self._on_messages(batch)  # type: ignore[arg-type]

    def pause_reading(self) -> None:
        """Stop reading until ``resume_reading`` (the consumer is behind)."""
        self._may_read.clear()

    def resume_reading(self) -> None:
        self._may_read.set()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        for waiting in [*self._pending.values(), *self._list_done.values()]:
            if not waiting.done():
                waiting.set_exception(AmiNotConnected("the AMI connection closed"))
