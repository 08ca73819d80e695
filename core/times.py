"""Time zones and ISO-8601 on the edges.

Everything is stored and computed in UTC. People type and read times in the call
center's zone (``HOTLINE_TIMEZONE``, default the machine's): a time typed without an
offset is read in that zone, and every time printed carries its offset.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc


def center_zone(name: str) -> tzinfo:
    """The zone reports use: ``name`` (an IANA zone such as ``Asia/Shanghai``) or, if empty,
    the machine's local zone."""
    if not name:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"HOTLINE_TIMEZONE: unknown time zone {name!r}") from exc


def parse_time(text: str, zone: tzinfo, *, what: str = "time") -> datetime:
    """Parse an ISO-8601 date or date-time typed by a person; return it in UTC.

    ``what`` names the field in the error, e.g. ``--from``.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{what}: {text!r} is not an ISO-8601 time (e.g. 2026-11-24T08:00 or 2026-11-24T08:00+08:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def iso(value: datetime | None, zone: tzinfo) -> str | None:
    """ISO-8601 with offset in ``zone``; ``None`` stays ``None``."""
    if value is None:
        return None
    return value.astimezone(zone).isoformat()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
