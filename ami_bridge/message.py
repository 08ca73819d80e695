"""One AMI message: its exact wire bytes, and its headers parsed only when asked for.

Most of what Asterisk sends (``VarSet``, ``CEL``, ``Newexten``, ``RTCPSent``) is never
looked at beyond its name, so the name is read from the first line and the rest of the
message is parsed lazily. Header order and repeated keys (``ChanVariable``) are kept.
"""

from __future__ import annotations

from collections.abc import Iterable


def read_name(block: bytes) -> tuple[str, bool] | None:
    """(name, is_event) from a message's first line; None if that line is not a header."""
    line_end = block.find(b"\n")
    first = block[: line_end if line_end >= 0 else len(block)].rstrip(b"\r")
    key, sep, value = first.partition(b":")
    if not sep or not key or key != key.strip():
        return None
    value = value[1:] if value.startswith(b" ") else value
    if key == b"Event":
        return value.decode("utf-8", "replace"), True
    if key == b"Response":
        return "Response", False
    return key.decode("utf-8", "replace"), False


_NEEDLES: dict[str, bytes] = {}


class Message:
    __slots__ = ("raw", "name", "is_event", "_crlf", "_headers", "_first", "_problems")

    def __init__(self, raw: bytes, name: str, is_event: bool, *, crlf: bool = True) -> None:
        self.raw = raw
        #: The event name, or ``Response`` for a reply to an action.
        self.name = name
        self.is_event = is_event
        # Every line ends with \r\n (what Asterisk sends): ``get`` may search the bytes.
        self._crlf = crlf
        self._headers: list[tuple[str, str]] | None = None
        self._first: dict[str, str] | None = None
        self._problems: list[str] | None = None

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, str]]) -> Message:
        """Build a message from already separated headers (a ``.jsonl`` trace line).

        The wire bytes are rendered as Asterisk sends them, so the journal holds the same
        bytes whichever trace format a message came from.
        """
        pairs = [(str(k), str(v)) for k, v in headers]
        raw = "".join(f"{k}: {v}\r\n" for k, v in pairs).encode("utf-8", "surrogateescape") + b"\r\n"
        first_key, first_value = pairs[0] if pairs else ("", "")
        message = cls(raw, first_value if first_key in ("Event", "Response") else "", first_key == "Event")
        if first_key == "Response":
            message.name = "Response"
        message._headers = pairs
        return message

    # -- headers --------------------------------------------------------------------------
    @property
    def headers(self) -> list[tuple[str, str]]:
        """All headers in wire order, repeated keys included."""
        if self._headers is None:
            self._parse()
        assert self._headers is not None
        return self._headers

    @property
    def problems(self) -> list[str]:
        """What was wrong with this message's lines (non-UTF-8 bytes, lines that are not
        ``Key: Value``). The message is still usable; the problems are for reporting."""
        if self._headers is None:
            self._parse()
        return self._problems or []

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key``.

        Before the headers are parsed, the value is found in the bytes: the tracker reads
        a handful of keys from a message of twenty-odd lines, and a search in C costs a
        fraction of splitting every line.
        """
        first = self._first
        if first is not None:
            return first.get(key, default)
        if self._crlf and self._headers is None:
            needle = _NEEDLES.get(key)
            if needle is None:
                needle = _NEEDLES[key] = b"\r\n" + key.encode() + b": "
            raw = self.raw
            at = raw.find(needle)
            if at >= 0:
                start = at + len(needle)
            elif raw.startswith(needle[2:]):
                start = len(needle) - 2
            else:
                return default
            return raw[start : raw.find(b"\r\n", start)].decode("utf-8", "replace")
        # dict() keeps the last of repeated keys; feeding it reversed keeps the first.
        first = self._first = dict(reversed(self.headers))
        return first.get(key, default)

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self.headers if k == key]

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    def as_dict(self) -> dict[str, str]:
        """First value of every key; for display and tests."""
        return dict(reversed(self.headers))

    def __repr__(self) -> str:
        return f"<Message {self.name!r} {len(self.raw)} bytes>"

    def _problem(self, text: str) -> None:
        if self._problems is None:
            self._problems = []
        self._problems.append(text)

    def _parse(self) -> None:
        try:
            text = self.raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = self.raw.decode("utf-8", "replace")
            self._problem(f"non-UTF-8 byte at offset {exc.start}; replaced with U+FFFD")
        # Fast path for what Asterisk sends: \r\n line ends and "Key: Value" lines.
        if text.count("\n") == text.count("\r\n"):
            pairs = [line.split(": ", 1) for line in text.split("\r\n") if line]
            if pairs and min(map(len, pairs)) == 2:
                self._headers = list(map(tuple, pairs))  # type: ignore[arg-type]
                return
        self._parse_slowly(text)

    def _parse_slowly(self, text: str) -> None:
        headers: list[tuple[str, str]] = []
        for number, line in enumerate(text.split("\n"), 1):
            line = line.rstrip("\r")
            if not line:
                continue
            key, sep, value = line.partition(":")
            if not sep or not key or key != key.strip():
                self._problem(f"line {number} is not 'Key: Value': {line[:80]!r}")
                continue
            headers.append((key, value[1:] if value.startswith(" ") else value))
        self._headers = headers
