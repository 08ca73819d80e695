"""Every error class of ``hotline ivr validate``, with the line and column it points at."""

from __future__ import annotations

import pytest

from ivr.validator import validate_file
from tests.ivr.conftest import FLOWS, SHANGHAI

HEAD = """
hotline_flow: 1
language: zh
timezone: Asia/Shanghai
start: hello
prompts:
  hi: 您好
  menu: 请按1
"""


def problems(write_flow, body: str) -> list[str]:
    path = write_flow(HEAD + body)
    _, found = validate_file(path, default_zone=SHANGHAI, display_name="f.yaml")
    return [str(p) for p in found]


def test_a_good_flow_has_no_problems(write_flow):
    assert problems(write_flow, """
nodes:
  hello:
    type: menu
    prompt: menu
    options: {"1": bye}
  bye:
    type: hangup
    prompt: hi
""") == []


def test_unknown_target_points_at_the_reference(write_flow):
    assert problems(write_flow, """
nodes:
  hello:
    type: play
    prompt: hi
    next: byee
  bye:
    type: hangup
""") == [
        "f.yaml:13:11: play node 'hello' (next): no node named 'byee' (did you mean 'bye'?)",
        "f.yaml:14:3: hangup node 'bye' is unreachable: nothing leads to it from start 'hello'",
    ]


def test_missing_and_undefined_prompts(write_flow):
    assert problems(write_flow, """
nodes:
  hello:
    type: menu
    options: {"1": bye}
  bye:
    type: hangup
    prompt: byebye
""") == [
        "f.yaml:10:3: menu node 'hello' has no prompt: the caller would hear nothing",
        "f.yaml:15:13: hangup node 'bye': no prompt named 'byebye' in prompts",
    ]


def test_prompt_without_text_in_a_flow_language(write_flow):
    path = write_flow("""
hotline_flow: 1
language: zh
languages: [zh, en]
start: hello
prompts:
  hi: {text: {zh: 您好}}
nodes:
  hello: {type: hangup, prompt: hi}
""")
    _, found = validate_file(path, default_zone=SHANGHAI, display_name="f.yaml")
    assert [str(p) for p in found] == ["f.yaml:6:3: prompt 'hi' has no text for en (every prompt needs the words it says, for the simulator and for prompt synthesis)"]


def test_duplicate_digits_even_when_one_is_quoted(write_flow):
    found = problems(write_flow, """
nodes:
  hello:
    type: menu
    prompt: menu
    options:
      1: bye
      "1": hello
  bye: {type: hangup}
""")
    assert found == ["f.yaml:15:7: duplicate digit '1' in menu node 'hello' options (first at line 14)"]


def test_loops_without_exit_and_without_input(write_flow):
    found = problems(write_flow, """
nodes:
  hello:
    type: menu
    prompt: menu
    options: {"1": a, "2": bye}
  a:
    type: play
    prompt: hi
    next: b
  b:
    type: goto
    target: a
  bye: {type: hangup}
  c:
    type: goto
    target: d
  d:
    type: branch
    cases:
      - variable: caller
        equals: "1"
        goto: bye
    else: c
""")
    assert found == [
        "f.yaml:14:3: loop without exit: a → b → a never reaches a hangup, transfer or queue",
        "f.yaml:22:3: goto node 'c' is unreachable: nothing leads to it from start 'hello'",
        "f.yaml:22:3: loop without caller input: c → d → c repeats forever without playing or asking anything",
        "f.yaml:25:3: branch node 'd' is unreachable: nothing leads to it from start 'hello'",
    ]


def test_bad_schedules(write_flow):
    found = problems(write_flow, """
schedules:
  day:
    timezone: Mars/Olympus
    weekly:
      mon-fry: "08:00-20:00"
      tue: ["08:00-12:00", "11:00-13:00"]
      wed: "25:00-26:00"
      thu: "09:00-09:00"
      fri: "20:00-10:00"
      sat: "08:00-12:00"
    holidays: [2026-02-30]
    workdays: [2026-10-01]
nodes:
  hello:
    type: branch
    cases:
      - schedule: day
        goto: bye
    else: bye
  bye: {type: hangup}
""")
    assert found == [
        "f.yaml:11:15: timezone: 'Mars/Olympus' is not a known time zone (e.g. Asia/Shanghai)",
        "f.yaml:12:5: schedule 'day': fri 20:00-10:00 runs into sat 08:00-12:00",
        "f.yaml:13:7: schedule 'day': 'mon-fry': days are mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, or daily",
        "f.yaml:14:28: schedule 'day': 11:00-13:00 overlaps 08:00-12:00 on tue",
        "f.yaml:15:12: schedule 'day': '25:00' is not a time of day (00:00 to 24:00)",
        "f.yaml:16:12: schedule 'day': '09:00-09:00' is empty or ambiguous: write 00:00-24:00 for a whole day",
        "f.yaml:19:16: schedule 'day' holidays: '2026-02-30' is not a date (YYYY-MM-DD)",
    ]


def test_unknown_keys_and_wrong_types(write_flow):
    found = problems(write_flow, """
nodes:
  hello:
    type: menu
    prompt: menu
    options: {"1": bye, "12": bye}
    timout: 5
    retries: many
  bye:
    type: hangupp
  q:
    type: queue
    queue: [a, b]
    max_wait: soon
""")
    assert found == [
        "f.yaml:13:20: menu node 'hello' (1): no node named 'bye'",  # 'bye' has an unknown type
        "f.yaml:13:25: menu node 'hello': option '12' is not one key (0-9, '*' or '#')",
        "f.yaml:14:5: unknown key 'timout' in menu node 'hello' (did you mean 'timeout'?)",
        "f.yaml:15:14: menu node 'hello' retries must be a whole number, not a string",
        "f.yaml:17:11: node 'bye': unknown type 'hangupp' (did you mean 'hangup'?)",
        "f.yaml:18:3: queue node 'q' is unreachable: nothing leads to it from start 'hello'",
        "f.yaml:20:12: queue node 'q' queue must be text, not a list",
        "f.yaml:21:15: queue node 'q' max_wait: 'soon' is not a duration (seconds, or e.g. 30s, 5m, 2h)",
    ]


def test_yaml_syntax_error_has_a_position(write_flow):
    path = write_flow("hotline_flow: 1\nnodes:\n  a: {type: menu, options: {*: b}}\n")
    _, found = validate_file(path, default_zone=SHANGHAI, display_name="f.yaml")
    assert len(found) == 1
    assert str(found[0]).startswith("f.yaml:3:")
    assert "quote '*'" in str(found[0])


@pytest.mark.parametrize("name", sorted(p.name for p in FLOWS.glob("*.yaml")))
def test_sample_flows_are_valid(name):
    _, found = validate_file(FLOWS / name, default_zone=SHANGHAI)
    assert found == []
