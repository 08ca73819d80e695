"""Report intervals (15/30/60 minutes, day, month) on the call center's wall clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

UTC = timezone.utc
NAMES = ("15m", "30m", "1h", "day", "month")


@dataclass(frozen=True)
class Interval:
    name: str

    @classmethod
    def parse(cls, text: str) -> Interval:
        if text not in NAMES:
            raise ValueError(f"--interval: {text!r} is not one of {', '.join(NAMES)}")
        return cls(text)

    def floor(self, moment: datetime, zone: tzinfo) -> datetime:
        """Start of the interval holding ``moment``, as an aware datetime in ``zone``."""
        local = moment.astimezone(zone).replace(tzinfo=None)
        if self.name == "month":
            start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        elif self.name == "day":
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            minutes = {"15m": 15, "30m": 30, "1h": 60}[self.name]
            start = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
        return _localize(start, zone)

    def next(self, start: datetime, zone: tzinfo) -> datetime:
        local = start.astimezone(zone).replace(tzinfo=None)
        if self.name == "month":
            following = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
        elif self.name == "day":
            following = local + timedelta(days=1)
        else:
            following = local + timedelta(minutes={"15m": 15, "30m": 30, "1h": 60}[self.name])
        return _localize(following, zone)

    def span(self, first: datetime, last: datetime, zone: tzinfo) -> Iterator[tuple[datetime, datetime]]:
        """Every interval from the one holding ``first`` to the one holding ``last``."""
        start = self.floor(first, zone)
        while start <= last:
            end = self.next(start, zone)
            yield start, end
            start = end


def _localize(wall: datetime, zone: tzinfo) -> datetime:
    # Wall-clock arithmetic, then the zone's offset at that wall time (DST-safe enough
    # for report boundaries: a skipped hour yields a short interval, never a gap).
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
