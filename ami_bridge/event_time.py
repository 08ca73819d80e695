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

    def time_of(self, message: Message, received_at: float | None = None) -> float:
        at: float | None = None
        if self.live or received_at is None:
            if b"\nTimestamp: " in message.raw:
                try:
                    at = float(message.get("Timestamp") or "")
                except ValueError:
                    at = None
        if at is None and received_at is not None:
            at = received_at
        if at is None:
            # No clock of its own: the newest time the message mentions.
            candidates = [_body_time(message, self.pbx_zone), _uniqueid_epoch(message)]
            at = max((c for c in candidates if c is not None), default=None)
        if at is not None and at > self.now:
            self.now = at
        return self.now
