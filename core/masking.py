"""Masking of personal phone numbers: the one rule every route, export and page uses.

Numbers of 11 or more digits (mainland mobiles, numbers with a country code) keep their
first 3 and last 4 digits (``138****8000``), enough to recognise a caller on the phone
without disclosing the number; shorter ones keep only their last 2. Separators (``+``,
spaces, dashes) stay where they are so that a masked number still reads like one, and a
value without digits (``anonymous``, a name) is returned unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "*"
LONG_NUMBER_DIGITS = 11


def mask_number(value: str) -> str:
    """``value`` with every digit hidden except the ones the rule keeps."""
    digits = sum(ch.isdigit() for ch in value)
    if digits == 0:
        return value
    if digits >= LONG_NUMBER_DIGITS:
        keep = set(range(3)) | set(range(digits - 4, digits))
    else:
        keep = set(range(max(0, digits - 2), digits))
    out = []
    index = 0
    for ch in value:
        if ch.isdigit():
            out.append(ch if index in keep else MASK)
            index += 1
        else:
            out.append(ch)
    return "".join(out)


def redact(value: Any, numbers: Iterable[str], *, keys: frozenset[str] = frozenset(), skip: frozenset[str] = frozenset()) -> Any:
    """A copy of a JSON-like ``value`` in which personal numbers are masked.

    Under a key in ``keys`` the whole string is masked with ``mask_number``. In every
    other string (a channel name, a dial string, a transfer target), each of the known
    ``numbers`` is masked wherever it stands as a whole digit run, so a number that
    reaches a free-text field is caught too. Keys in ``skip`` (times, ids) are never
    touched: their digits are not numbers of people, and rewriting them would corrupt them.
    """
    # Longest first, so that a number containing another one is masked whole.
    known = sorted({n for n in numbers if sum(ch.isdigit() for ch in n) >= 3}, key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<!\d){re.escape(n)}(?!\d)" for n in known)) if known else None

    def walk(item: Any, key: str | None) -> Any:
        if isinstance(item, dict):
            return {k: walk(v, k) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v, key) for v in item]
        if not isinstance(item, str) or key in skip:
            return item
        if key in keys:
            return mask_number(item)
        if pattern is None:
            return item
        return pattern.sub(lambda m: mask_number(m.group(0)), item)

    return walk(value, None)
