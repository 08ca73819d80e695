"""Query parameters shared by several routes, parsed and checked the way the command line
checks its options (times in ISO-8601, read in the center's zone when they carry no offset)."""

from __future__ import annotations

from datetime import datetime

from api.errors import invalid
from api.state import AppState
from core.times import parse_time


def parse_when(state: AppState, value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value, state.zone, what=field)
    except ValueError as exc:
        raise invalid(field, str(exc).partition(": ")[2]) from None


def check_range(start: datetime | None, end: datetime | None, start_field: str, end_field: str) -> None:
    if start is not None and end is not None and start >= end:
        raise invalid(end_field, f"must be later than {start_field}")
