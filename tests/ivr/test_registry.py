"""Flows by name: names from the wire, reloads, and invalid edits."""

from __future__ import annotations

import os

import pytest

from ivr.registry import FlowRegistry, FlowUnavailable
from tests.ivr.conftest import SHANGHAI

GOOD = "hotline_flow: 1\nstart: a\nprompts: {p: 你好}\nnodes:\n  a: {type: hangup, prompt: p}\n"


def test_names_are_checked_before_they_become_paths(tmp_path):
    registry = FlowRegistry(tmp_path, SHANGHAI)
    for name in ("../etc/passwd", "a/b", "", ".hidden", "x" * 80):
        with pytest.raises(FlowUnavailable, match="not a flow name"):
            registry.get(name)
    with pytest.raises(FlowUnavailable, match="no flow file"):
        registry.get("missing")


def test_edits_are_picked_up_and_a_broken_edit_keeps_the_last_valid_version(tmp_path, caplog):
    path = tmp_path / "main.yaml"
    path.write_text(GOOD, encoding="utf-8")
    registry = FlowRegistry(tmp_path, SHANGHAI)
    first = registry.get("main")
    assert registry.get("main") is first  # unchanged file: not read again
    path.write_text(GOOD.replace("你好", "您好"), encoding="utf-8")
    os.utime(path, (1, 1))
    second = registry.get("main")
    assert second is not first and second.prompts["p"].text["zh"] == "您好"
    path.write_text(GOOD.replace("start: a", "start: b"), encoding="utf-8")
    os.utime(path, (2, 2))
    assert registry.get("main") is second
    assert "flow main is invalid" in caplog.text and "no node named 'b'" in caplog.text


def test_a_flow_never_valid_is_unavailable(tmp_path):
    (tmp_path / "bad.yaml").write_text("hotline_flow: 1\nstart: x\nnodes: {}\n", encoding="utf-8")
    with pytest.raises(FlowUnavailable, match="invalid"):
        FlowRegistry(tmp_path, SHANGHAI).get("bad")
