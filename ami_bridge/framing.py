"""AMI wire framing as a pure state machine: bytes in, messages out (the h11 way).

Theory of operation
-------------------
An AMI session starts with one banner line (``Asterisk Call Manager/11.0.0``); after it
come messages, each a run of ``Key: Value`` lines ended by an empty line. Asterisk ends
lines with ``\\r\\n``; some proxies and hand-made tools use a bare ``\\n``, so a message
ends at the first ``\\n`` followed by an optional ``\\r`` and another ``\\n``.

``Framer.feed`` takes whatever a socket read returned (any number of bytes, cut
anywhere) and returns the complete items it now holds; the tail waits for the next
read. The framer never raises on what the peer sends. It reports instead:

* ``Banner``: the first line, if it is one;
* ``Message``: a complete message with its exact bytes (see ``message.py``);
* ``Problem``: something that is not AMI (a missing banner, a block without any
  ``Key: Value`` line, a message larger than ``max_message_bytes``, a truncated message
  at the end of the stream). Oversized input is discarded up to the next message
  boundary so that a misbehaving peer cannot make the bridge's memory grow.

States: ``BANNER`` (waiting for the first line) → ``MESSAGES``; ``MESSAGES`` ⇄
``SKIPPING`` (inside an oversized message, dropping bytes until its end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from ami_bridge.message import Message, read_name

BANNER_PREFIX = b"Asterisk Call Manager/"
DEFAULT_MAX_MESSAGE_BYTES = 1 << 20

_END_OF_MESSAGE = re.compile(rb"\n\r?\n")


@dataclass(frozen=True, slots=True)
class Banner:
    text: str

    @property
    def version(self) -> str:
        return self.text.rpartition("/")[2]


@dataclass(frozen=True, slots=True)
class Problem:
    """Bad input, reported with where it was (byte offset in the stream) and a sample."""

    offset: int
    reason: str
    sample: bytes = b""

    def __str__(self) -> str:
        return f"AMI stream byte {self.offset}: {self.reason}" + (f" ({self.sample[:60]!r})" if self.sample else "")


Item = Banner | Message | Problem


class _State(Enum):
    BANNER = "banner"
    MESSAGES = "messages"
    SKIPPING = "skipping"


class Framer:
    def __init__(self, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, expect_banner: bool = True) -> None:
        self.max_message_bytes = max_message_bytes
        self._state = _State.BANNER if expect_banner else _State.MESSAGES
        self._rest = b""
        self._offset = 0  # stream offset of self._rest[0]

    def feed(self, data: bytes) -> list[Item]:
        """Add bytes from the peer; return the items completed by them."""
        buf = self._rest + data if self._rest else bytes(data)
        out: list[Item] = []
        pos = 0
        if self._state is _State.BANNER:
            pos = self._read_banner(buf, out)
            if self._state is _State.BANNER:
                self._keep(buf, 0)
                return out
        if self._state is _State.MESSAGES and self._frame_fast(buf, pos, out):
            return out
        n = len(buf)
        search = _END_OF_MESSAGE.search
        while pos < n:
            if self._state is _State.MESSAGES and buf[pos] in b"\r\n":  # blank lines between messages carry nothing
                pos += 1
                continue
            match = search(buf, pos)
            if match is None:
                if n - pos > self.max_message_bytes and self._state is _State.MESSAGES:
                    out.append(Problem(self._offset + pos, f"message longer than {self.max_message_bytes} bytes; dropped", buf[pos : pos + 60]))
                    self._state = _State.SKIPPING
                if self._state is _State.SKIPPING:
                    # Keep the last two bytes: they may begin the end-of-message "\n\r\n".
                    pos = max(pos, n - 2)
                break
            end = match.end()
            if self._state is _State.SKIPPING:
                self._state = _State.MESSAGES
                pos = end
                continue
            block = buf[pos:end]
            if end - pos > self.max_message_bytes:
                out.append(Problem(self._offset + pos, f"message longer than {self.max_message_bytes} bytes; dropped", block[:60]))
            else:
                named = read_name(block)
                if named is None:
                    out.append(Problem(self._offset + pos, "not an AMI message (no 'Key: Value' first line)", block[:60]))
                else:
                    crlf = block.count(b"\n") == block.count(b"\r\n")
                    out.append(Message(block, named[0], named[1], crlf=crlf))
            pos = end
        self._keep(buf, pos)
        return out

    def _frame_fast(self, buf: bytes, pos: int, out: list[Item]) -> bool:
        """Asterisk's own framing (every message ends ``\r\n\r\n``, no bare ``\n``),
        split in C. Returns False, having done nothing, when the slow path is needed."""
        if b"\n\n" in buf or buf.count(b"\n\r\n") != buf.count(b"\r\n\r\n"):
            return False
        parts = buf[pos:].split(b"\r\n\r\n")
        rest = parts.pop()
        limit = self.max_message_bytes
        if len(rest) > limit or any(len(part) > limit for part in parts):
            return False
        offset = self._offset + pos
        for part in parts:
            start = offset
            offset += len(part) + 4
            if part[:1] in (b"\r", b"\n"):
                stripped = part.lstrip(b"\r\n")
                start += len(part) - len(stripped)
                part = stripped
            if not part:
                continue
            named = read_name(part)
            if named is None:
                out.append(Problem(start, "not an AMI message (no 'Key: Value' first line)", part[:60]))
            else:
                out.append(Message(part + b"\r\n\r\n", named[0], named[1]))
        self._offset = offset
        self._rest = rest
        return True

    def close(self) -> list[Item]:
        """The stream ended: report a message that was cut off."""
        rest, self._rest = self._rest, b""
        if rest.strip(b"\r\n") and self._state is not _State.SKIPPING:
            return [Problem(self._offset, "stream ended inside a message; its lines were dropped", rest[:60])]
        return []

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for the rest of a message."""
        return len(self._rest)

    def _keep(self, buf: bytes, pos: int) -> None:
        self._offset += pos
        self._rest = buf[pos:]

    def _read_banner(self, buf: bytes, out: list[Item]) -> int:
        line_end = buf.find(b"\n")
        if line_end < 0:
            if len(buf) <= 200:
                return 0  # wait for the rest of the line
            line_end = len(buf) - 1
        line = buf[:line_end].rstrip(b"\r")
        self._state = _State.MESSAGES
        if line.startswith(BANNER_PREFIX):
            out.append(Banner(line.decode("utf-8", "replace")))
            return line_end + 1
        out.append(Problem(0, "no 'Asterisk Call Manager/' banner; reading messages anyway", line[:60]))
        # A first line that looks like a header belongs to the first message.
        return 0 if read_name(line) is not None else line_end + 1
