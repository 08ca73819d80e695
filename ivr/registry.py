"""Flows by name, for the runtimes: ``AGI(agi://host/NAME)`` asks for ``NAME``.

The name comes off the wire, so it is checked before it becomes a path (no '/', no
'..'). Files are re-read when they (or their sub-flows) change, between calls. A file
edited into an invalid state does not take the hotline down: the last valid version
keeps being served, and the problems are logged once per change.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from ivr.flow import Flow, Problem, SubflowNode
from ivr.validator import validate_file

log = logging.getLogger(__name__)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")


class FlowUnavailable(LookupError):
    """No usable flow by that name; the message says why (for the log, not the caller)."""


@dataclass
class _Entry:
    stamps: dict[str, float]
    flow: Flow | None
    problems: list[Problem]


def _files(flow: Flow) -> list[str]:
    files = [flow.path]
    for node in flow.nodes.values():
        if isinstance(node, SubflowNode) and node.flow is not None:
            files.extend(_files(node.flow))
    return files


def _stamp(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return -1.0


class FlowRegistry:
    def __init__(self, folder: str | Path, zone: tzinfo) -> None:
        self.folder = Path(folder)
        self.zone = zone
        self._entries: dict[str, _Entry] = {}
        self._good: dict[str, Flow] = {}

    def path_of(self, name: str) -> Path:
        if not NAME.match(name):
            raise FlowUnavailable(f"{name!r} is not a flow name (letters, digits, '_' and '-')")
        for suffix in (".yaml", ".yml"):
            path = self.folder / f"{name}{suffix}"
            if path.is_file():
                return path
        raise FlowUnavailable(f"no flow file {name}.yaml in {self.folder}")

    def get(self, name: str) -> Flow:
        path = self.path_of(name)
        entry = self._entries.get(name)
        if entry is None or any(_stamp(p) != t for p, t in entry.stamps.items()):
            flow, problems = validate_file(path, default_zone=self.zone)
            stamps = {p: _stamp(p) for p in (_files(flow) if flow else [str(path)])}
            entry = _Entry(stamps, flow if not problems else None, problems)
            self._entries[name] = entry
            if problems:
                log.error("flow %s is invalid (%d problems); %s", name, len(problems),
                          "serving the last valid version" if name in self._good else "calls for it get the error prompt")
                for problem in problems:
                    log.error("  %s", problem)
            elif flow is not None:
                self._good[name] = flow
        if entry.flow is not None:
            return entry.flow
        if name in self._good:
            return self._good[name]
        raise FlowUnavailable(f"flow {name} is invalid: {entry.problems[0]}" if entry.problems else f"flow {name} is invalid")
