"""Opaque cursors for keyset pagination: the last row's sort key, base64-encoded, so a
client passes it back unchanged and pages stay stable while new rows arrive."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from api.errors import invalid


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("cursor", "not a cursor this API handed out (pass next_cursor back unchanged)") from None
    parts = text.split("|")
    if len(parts) != count:
        raise invalid("cursor", "not a cursor this API handed out (pass next_cursor back unchanged)")
    return parts


def time_id_cursor(cursor: str) -> tuple[datetime, int]:
    stamp, ident = decode_cursor(cursor, 2)
    try:
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError
        return moment, int(ident)
    except ValueError:
        raise invalid("cursor", "not a cursor this API handed out (pass next_cursor back unchanged)") from None


def id_cursor(cursor: str) -> int:
    (ident,) = decode_cursor(cursor, 1)
    try:
        return int(ident)
    except ValueError:
        raise invalid("cursor", "not a cursor this API handed out (pass next_cursor back unchanged)") from None
