"""The AMI framer against real wire captures, cut anywhere, and against garbage."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ami_bridge.framing import Banner, Framer, Problem
from ami_bridge.message import Message
from tests.conftest import DATA

TRACES = sorted(p for p in (DATA / "ami").glob("*.txt"))
BUSY = (DATA / "ami" / "busy_queue.txt").read_bytes()


def frame(chunks: list[bytes], **kwargs: object) -> list[Banner | Message | Problem]:
    framer = Framer(**kwargs)  # type: ignore[arg-type]
    out: list[Banner | Message | Problem] = []
    for chunk in chunks:
        out.extend(framer.feed(chunk))
    return out + framer.close()


def messages(items: list[Banner | Message | Problem]) -> list[Message]:
    return [i for i in items if isinstance(i, Message)]


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.stem)
def test_every_capture_frames_into_the_same_messages_as_its_jsonl(path):
    items = frame([path.read_bytes()])
    assert isinstance(items[0], Banner) and items[0].text.startswith("Asterisk Call Manager/")
    assert not [i for i in items if isinstance(i, Problem)]
    lines = [json.loads(line) for line in path.with_suffix(".jsonl").read_text().splitlines()]
    expected = [line["headers"] for line in lines if "headers" in line]
    assert [[list(h) for h in m.headers] for m in messages(items)] == expected


def test_repeated_keys_are_kept_in_order():
    items = frame([(DATA / "ami" / "pjsip22_originate.txt").read_bytes()])
    response = next(m for m in messages(items) if m.name == "OriginateResponse" and m.get("Response") == "Success")
    assert response.get_all("ChanVariable(PJSIP/1001-0000000f)") == ["HOTLINE_TASK=callback-43", "CDR(userfield)="]
    assert response.get("ChanVariable(PJSIP/1001-0000000f)") == "HOTLINE_TASK=callback-43"


def test_bare_newlines_and_blank_lines_between_messages():
    data = b"Asterisk Call Manager/11.0.0\nEvent: A\nX: 1\n\n\r\n\r\nEvent: B\r\nY: 2\n\r\n"
    found = messages(frame([data]))
    assert [(m.name, m.get("X") or m.get("Y")) for m in found] == [("A", "1"), ("B", "2")]


def test_non_utf8_bytes_are_replaced_and_reported():
    found = messages(frame([b"Asterisk Call Manager/9.0.0\r\nEvent: X\r\nCallerIDName: \xff\xfe\r\n\r\n"]))
    assert found[0].get("CallerIDName") == "\ufffd\ufffd"
    assert "non-UTF-8" in found[0].problems[0]


def test_garbage_lines_inside_a_message_are_reported_not_fatal():
    found = messages(frame([b"Asterisk Call Manager/9.0.0\r\nEvent: X\r\nthis is not a header\r\nA: b\r\n\r\n"]))
    assert found[0].get("A") == "b"
    assert "line 2" in found[0].problems[0]


def test_a_block_that_is_not_a_message_is_a_problem_with_its_offset():
    items = frame([b"Asterisk Call Manager/9.0.0\r\nhello world\r\n\r\nEvent: Y\r\n\r\n"])
    problem = next(i for i in items if isinstance(i, Problem))
    assert problem.offset == 29 and "not an AMI message" in problem.reason
    assert [m.name for m in messages(items)] == ["Y"]


def test_missing_banner_is_reported_and_messages_still_read():
    items = frame([b"Event: FullyBooted\r\nUptime: 5\r\n\r\n"])
    assert isinstance(items[0], Problem) and "banner" in items[0].reason
    assert [m.name for m in messages(items)] == ["FullyBooted"]


def test_oversized_message_is_dropped_and_memory_stays_bounded():
    framer = Framer(max_message_bytes=1000)
    items = framer.feed(b"Asterisk Call Manager/9.0.0\r\nEvent: Huge\r\n")
    for _ in range(100):
        items += framer.feed(b"Filler: " + b"x" * 500 + b"\r\n")
        assert framer.buffered <= 1600
    items += framer.feed(b"\r\nEvent: After\r\n\r\n")
    assert any(isinstance(i, Problem) and "longer than 1000" in i.reason for i in items)
    assert [m.name for m in messages(items)] == ["After"]


def test_truncated_stream_is_reported_on_close():
    framer = Framer()
    framer.feed(b"Asterisk Call Manager/9.0.0\r\nEvent: Cut\r\nA: ")
    assert "ended inside a message" in framer.close()[0].reason


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.stem)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cutting_any_capture_anywhere_gives_the_same_messages(path, data):
    wire = path.read_bytes()
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(wire)), max_size=40))
    points = sorted(set(cuts))
    chunks = [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)])]
    whole = messages(frame([wire]))
    pieces = messages(frame(chunks))
    assert [m.raw for m in pieces] == [m.raw for m in whole]
    assert b"".join(m.raw for m in whole) == wire[wire.index(b"\n") + 1 :]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=3000), cut=st.integers(min_value=0, max_value=3000))
def test_random_bytes_never_raise_and_no_byte_is_invented(data, cut):
    items = frame([data[:cut], data[cut:]], max_message_bytes=512)
    for item in items:
        if isinstance(item, Message):
            assert item.raw in data
            item.headers  # parsing never raises either
            item.problems


@settings(max_examples=200, deadline=None)
@given(prefix=st.binary(max_size=200), cut=st.integers(min_value=0, max_value=5000))
def test_garbage_before_real_traffic_does_not_lose_the_traffic_after_it(prefix, cut):
    tail = BUSY[BUSY.index(b"\r\n\r\n") + 4 :][:20000]
    tail = tail[: tail.rindex(b"\r\n\r\n") + 4]
    data = b"Asterisk Call Manager/9.0.0\r\n" + prefix.replace(b"\n", b"") + b"\r\n\r\n" + tail
    found = messages(frame([data[:cut], data[cut:]]))
    assert [m.raw for m in found][-5:] == [m.raw for m in messages(frame([b"Asterisk Call Manager/9.0.0\r\n" + tail]))][-5:]


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.stem)
def test_reading_a_header_from_the_bytes_agrees_with_parsing_every_line(path):
    for message in messages(frame([path.read_bytes()])):
        keys = {k for k, _ in Message(message.raw, message.name, message.is_event).headers} | {"NoSuchKey", "Event"}
        lazy = Message(message.raw, message.name, message.is_event)
        assert {k: lazy.get(k) for k in keys} == {k: message.as_dict().get(k) for k in keys}
