"""When did an AMI event happen? (DESIGN.md, "Event time")

* Live: Asterisk's ``Timestamp`` header where ``timestampevents`` is on, else the
  receive time.
* Replay: the ``.jsonl`` ``ts``; else a ``Timestamp`` header; else the newest time the
  message mentions: ``EventTV``, CEL ``EventTime``, ``Cdr`` ``EndTime`` or the epoch in
  its ``Uniqueid``.

Times never go backwards within one stream: an event is never dated before the one
that preceded it (a ``Uniqueid`` epoch is when its channel was *created*).
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

from ami_bridge.message import Message

UTC = timezone.utc


def _body_time(message: Message, pbx_zone: tzinfo) -> float | None:
    """A time the event carries in its body, or None."""
    name = message.name
    if b"\nEventTV: " in message.raw:
        text = message.get("EventTV") or ""
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        except ValueError:
            return None
    if name == "CEL":
        text = message.get("EventTime")
    elif name == "Cdr":
        text = message.get("EndTime")
    else:
        return None
    if not text:
        return None
    for layout in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=pbx_zone).timestamp()
        except ValueError:
            continue
    return None


def _timestamp(message: Message) -> float | None:
    if b"\nTimestamp: " not in message.raw:
        return None
    try:
        return float(message.get("Timestamp") or "")
    except ValueError:
        return None


def _uniqueid_epoch(message: Message) -> float | None:
    """A ``Uniqueid`` is ``<epoch of channel creation>.<counter>``."""
    if not message.is_event:
        return None
    uniqueid = message.get("Uniqueid")
    if not uniqueid:
        return None
    try:
        return float(uniqueid.partition(".")[0])
    except ValueError:
        return None


class EventClock:
    """Dates the messages of one stream.

    ``pbx_zone`` is the zone of CEL/Cdr times (Asterisk writes them in its local time);
    it matters only for ``.txt`` replays, which have no receive times.
    """

    def __init__(self, *, live: bool, pbx_zone: tzinfo = UTC) -> None:
        self.live = live
        self.pbx_zone = pbx_zone
        self.now = 0.0
        self.stamped = False

    def time_of(self, message: Message, received_at: float | None = None) -> float:
        if self.live or received_at is None:
            stamp = _timestamp(message)
            if stamp is not None:
                # Asterisk's own clock (timestampevents): trusted as is, and from now on
                # unstamped messages (responses) share it rather than our receive time.
                self.stamped = True
                self.now = stamp
                return stamp
            if self.stamped:
                return self.now
        at = received_at
        if at is None:
            # No clock of its own: the newest time the message mentions.
            candidates = [_body_time(message, self.pbx_zone), _uniqueid_epoch(message)]
            at = max((c for c in candidates if c is not None), default=None)
        if at is not None and at > self.now:
            self.now = at
        return self.now
