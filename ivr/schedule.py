"""Business hours: a weekly schedule, holidays and make-up workdays (调休), in one zone.

Pure: ``is_open`` and ``next_open`` take epoch seconds, so the engine asks them with its
injected clock and the simulator can ask "what if it were Tuesday 21:30".

Rules (documented in docs/ivr.md):
- An interval ``HH:MM-HH:MM`` belongs to the day it starts on. ``20:00-08:00`` crosses
  midnight and runs until 08:00 the next morning; ``24:00`` may end an interval.
- A holiday closes the intervals that *start* on it; a night shift that began the
  evening before still runs into the holiday morning (the agents are already there).
- A make-up workday (调休) opens with the hours of ``workday_as`` (default Monday) even
  if it falls on a weekend day; a holiday closes even a weekday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
#: How far ahead ``next_open`` looks: a schedule closed for longer is treated as never open.
HORIZON_DAYS = 400


class ScheduleError(ValueError):
    """A day spec, interval or date that cannot be understood; the message says which."""


@dataclass(frozen=True)
class Interval:
    start_min: int  # minutes after midnight of the day it starts on
    end_min: int  # may exceed 1440 for an interval that runs past midnight

    @property
    def overnight(self) -> bool:
        return self.end_min > 24 * 60

    def __str__(self) -> str:
        end = self.end_min % (24 * 60) if self.overnight else self.end_min
        return f"{self.start_min // 60:02d}:{self.start_min % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def parse_clock(text: str, *, allow_24: bool) -> int:
    m = _TIME.match(text.strip())
    if not m:
        raise ScheduleError(f"{text!r} is not a time of day (HH:MM)")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ScheduleError(f"{text!r} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def parse_interval(text: str) -> Interval:
    """``08:00-20:00``; ``20:00-08:00`` runs past midnight."""
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ScheduleError(f"{text!r} is not an interval (HH:MM-HH:MM)")
    start = parse_clock(start_text, allow_24=False)
    end = parse_clock(end_text, allow_24=True)
    if end == start:
        raise ScheduleError(f"{text!r} is empty or ambiguous: write 00:00-24:00 for a whole day")
    if end < start:
        end += 24 * 60
    return Interval(start, end)


def parse_days(text: str) -> list[int]:
    """``mon``, ``mon-fri``, ``sat,sun``, ``daily`` → weekday numbers (Monday = 0)."""
    result: list[int] = []
    for part in text.lower().replace(" ", "").split(","):
        if part in ("daily", "everyday"):
            result.extend(range(7))
            continue
        first, sep, last = part.partition("-")
        if first not in DAYS or (sep and last not in DAYS):
            raise ScheduleError(f"{text!r}: days are mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, or daily")
        a = DAYS.index(first)
        b = DAYS.index(last) if sep else a
        if b < a:
            raise ScheduleError(f"{text!r}: a day range runs forward (mon-fri, not fri-mon)")
        result.extend(range(a, b + 1))
    return result


@dataclass
class Schedule:
    name: str
    zone: tzinfo
    weekly: dict[int, list[Interval]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    workday_as: int = 0

    def intervals_on(self, day: date) -> list[Interval]:
        """The intervals that start on ``day`` (holidays and make-up days applied)."""
        if day in self.holidays:
            return []
        if day in self.workdays:
            return self.weekly.get(self.workday_as, [])
        return self.weekly.get(day.weekday(), [])

    def _spans(self, first: date, days: int) -> list[tuple[datetime, datetime]]:
        spans = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            midnight = datetime.combine(day, time(0), tzinfo=self.zone)
            for interval in self.intervals_on(day):
                # Wall-clock arithmetic, then back to the zone: correct across DST changes.
                start = (midnight.replace(tzinfo=None) + timedelta(minutes=interval.start_min)).replace(tzinfo=self.zone)
                end = (midnight.replace(tzinfo=None) + timedelta(minutes=interval.end_min)).replace(tzinfo=self.zone)
                spans.append((start, end))
        return spans

    def is_open(self, epoch: float) -> bool:
        local = datetime.fromtimestamp(epoch, self.zone)
        for start, end in self._spans(local.date() - timedelta(days=1), 2):
            if start.timestamp() <= epoch < end.timestamp():
                return True
        return False

    def next_open(self, epoch: float) -> float | None:
        """``epoch`` itself when open, else the start of the next opening; None if none
        within ``HORIZON_DAYS``."""
        local = datetime.fromtimestamp(epoch, self.zone)
        spans = sorted(self._spans(local.date() - timedelta(days=1), HORIZON_DAYS + 1))
        for start, end in spans:
            if end.timestamp() > epoch:
                return max(start.timestamp(), epoch)
        return None

    def sample_instants(self, around: float) -> list[float]:
        """Instants that exercise every answer of this schedule near ``around``: inside
        and outside the hours of each weekday, on each holiday and make-up day. For
        ``--coverage``, which has to reach both sides of every business-hours branch."""
        local = datetime.fromtimestamp(around, self.zone)
        monday = local.date() - timedelta(days=local.weekday())
        days = [monday + timedelta(days=i) for i in range(7)] + sorted(self.holidays) + sorted(self.workdays)
        instants: list[float] = []
        for day in days:
            midnight = datetime.combine(day, time(0), tzinfo=self.zone)
            intervals = self.intervals_on(day)
            minutes = {1, 12 * 60 + 1, 23 * 60 + 59}
            for interval in intervals:
                minutes.update({interval.start_min + 1, max(interval.start_min - 1, 0)})
            for minute in sorted(minutes):
                instants.append((midnight + timedelta(minutes=minute)).timestamp())
        return instants
