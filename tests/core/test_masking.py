from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.masking import mask_number, redact


def test_long_numbers_keep_first_three_and_last_four():
    assert mask_number("13800138000") == "138****8000"
    assert mask_number("8613800138000") == "861******8000"
    assert mask_number("+86 138-0013-8000") == "+86 1**-****-8000"


def test_short_numbers_keep_last_two():
    assert mask_number("5551234") == "*****34"
    assert mask_number("1001") == "**01"
    assert mask_number("7") == "7"


def test_values_without_digits_are_left_alone():
    assert mask_number("") == ""
    assert mask_number("anonymous") == "anonymous"


@given(st.text(alphabet="0123456789+- ", max_size=30))
def test_masking_keeps_length_and_separators_and_hides_most_digits(value):
    masked = mask_number(value)
    assert len(masked) == len(value)
    assert [c for c in masked if not c.isdigit() and c != "*"] == [c for c in value if not c.isdigit()]
    digits = sum(c.isdigit() for c in value)
    shown = sum(c.isdigit() for c in masked)
    assert shown == (7 if digits >= 11 else min(digits, 2))


def test_redact_masks_named_fields_and_known_numbers_in_free_text_but_not_times_or_ids():
    call = {
        "caller": "13800138000",
        "started_at": "2026-11-24T12:36:58.800+08:00",
        "linkedid": "1795495540.800",
        "timeline": [{"event": "dial", "to": "trunk/13800138000", "channel": "SIP/trunk-00000800", "at": "2026-11-24T12:45:40.800+08:00"}],
    }
    out = redact(call, ["13800138000", "800"], keys=frozenset({"caller"}), skip=frozenset({"started_at", "at", "linkedid"}))
    assert out["caller"] == "138****8000"
    assert out["timeline"][0]["to"] == "trunk/138****8000"
    assert out["timeline"][0]["channel"] == "SIP/trunk-00000800"  # 800 inside a longer digit run is not the number
    assert out["started_at"] == call["started_at"] and out["linkedid"] == call["linkedid"]
    assert call["caller"] == "13800138000"  # a copy; the input is unchanged
