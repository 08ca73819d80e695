"""One FastAGI connection: lines over asyncio streams, one command at a time.

It keeps two facts the session needs: ``hung_up`` (Asterisk sent its ``HANGUP`` notice,
or refused a command with 511) and ``closed``. Closing closes the socket, which is what
makes Asterisk end the AGI (it never closes the connection itself).
"""

from __future__ import annotations

import asyncio
import logging
import socket

from ivr.agi.protocol import (
    HANGUP_NOTICE,
    MAX_LINE,
    AgiProtocolError,
    Environment,
    EnvironmentReader,
    Reply,
    ReplyReader,
    command,
)

log = logging.getLogger(__name__)


class ConnectionLost(ConnectionError):
    """Asterisk closed the connection (or it broke) while a reply was awaited."""


class AgiConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, reply_timeout_s: float = 4 * 3600) -> None:
        self.reader = reader
        self.writer = writer
        self.reply_timeout_s = reply_timeout_s
        self.hung_up = False
        self.closed = False
        self.commands = 0
        self._replies = ReplyReader()
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                # A PBX that vanishes without a FIN is noticed by keepalive, not by a wait forever.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    async def _line(self, timeout: float) -> str:
        try:
            # asyncio.timeout, not wait_for: wait_for wraps every read in a new task, which
            # is most of the cost of a command at hundreds of calls (Python 3.11).
            async with asyncio.timeout(timeout):
                raw = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            raise ConnectionLost("Asterisk closed the connection") from exc
        except asyncio.LimitOverrunError as exc:
            raise AgiProtocolError(f"a line longer than {MAX_LINE} bytes") from exc
        except (ConnectionError, OSError) as exc:
            raise ConnectionLost(str(exc)) from exc
        return raw[:-1].decode("utf-8", errors="replace").rstrip("\r")

    async def read_environment(self, timeout_s: float = 10.0) -> Environment:
        env = EnvironmentReader()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not env.done:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise asyncio.TimeoutError
            env.feed(await self._line(remaining))
        return env.environment

    async def send(self, *parts: str) -> Reply:
        """Send one command and return its reply; a ``HANGUP`` notice on the way sets
        ``hung_up``, as does a 511."""
        if self.closed:
            raise ConnectionLost("the connection is closed")
        data = command(*parts)
        self.commands += 1
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError) as exc:
            raise ConnectionLost(str(exc)) from exc
        while True:
            item = self._replies.feed(await self._line(self.reply_timeout_s))
            if item is HANGUP_NOTICE:
                self.hung_up = True
                continue
            if item is None:
                continue
            assert isinstance(item, Reply)
            if item.code == 511:
                self.hung_up = True
            return item

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 5.0)
        except (ConnectionError, OSError, asyncio.TimeoutError):
            pass
