"""Helpers for IVR tests: write a flow file and load it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.flow import Flow
from ivr.validator import validate_file

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "deploy" / "flows"


@pytest.fixture
def write_flow(tmp_path: Path):
    def write(text: str, name: str = "flow.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


def load_valid(path: Path) -> Flow:
    flow, problems = validate_file(path, default_zone=SHANGHAI)
    assert not problems, "\n".join(map(str, problems))
    assert flow is not None
    return flow
