"""Applying the masking rule (``core.masking``) to what a principal is about to see.

Roles in ``HOTLINE_FULL_NUMBER_ROLES`` (admin, supervisor) see callers' full numbers;
every other role sees them masked. Everything that leaves the service (API responses,
pages, live-feed frames) goes through ``for_viewer``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.masking import redact

#: Fields that hold a person's number (or a caller ID name, which often is one).
NUMBER_KEYS = frozenset({"caller", "caller_name", "to", "from", "connected"})
#: Fields whose digits are times, ids or counters, never numbers of people.
NOT_NUMBERS = frozenset({
    "at", "started_at", "answered_at", "ended_at", "created_at", "as_of", "interval_start", "interval_end",
    "linkedid", "uniqueid", "server_id", "queue", "agent", "agent_interface", "interface", "name", "event",
    "disposition", "status", "type", "position",
})


def for_viewer(value: Any, full_numbers: bool, numbers: Iterable[str] = ()) -> Any:
    """``value`` as a viewer with or without the right to full numbers may see it."""
    if full_numbers:
        return value
    return redact(value, numbers, keys=NUMBER_KEYS, skip=NOT_NUMBERS)
