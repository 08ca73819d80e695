"""Queue and agent metrics exactly as DESIGN.md defines them; pure arithmetic on facts.

* offered = callers that joined (``QueueCallerJoin``); answered = offered calls connected
  to an agent; abandoned = hung up while waiting, *short* if sooner than
  ``short_abandon_s``; exited = left without agent or hang-up, per reason.
* wait = join → connect (answered) or join → leave (others), from Asterisk's
  ``HoldTime`` where it gives one.
* service level % = answered within T ÷ (offered − short abandons) × 100.
  ``service_level_answered`` (answered within T ÷ answered) is what Asterisk's
  ``ServicelevelPerf`` and Wazo show; both are printed so they can be compared.
* answer rate % = answered ÷ offered; abandon rate % = abandoned ÷ offered.
* ASA = mean wait of answered calls; talk = mean ``TalkTime`` (it includes hold, as
  Asterisk counts it); AHT = mean (talk + wrap-up) of answered calls. Hold is not
  added again because ``TalkTime`` already holds it (trace ``pjsip22_agent_states``:
  TalkTime 8 s includes a 3 s hold); wrap-up is what was measured, else 0.

A rate or mean whose denominator is empty is ``None`` (JSON ``null``), never 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ami_bridge.facts import EXIT_OUTCOMES


@dataclass(frozen=True, slots=True)
class VisitFacts:
    """The columns of one queue visit that statistics read."""

    queue: str
    joined: bool
    outcome: str
    wait_s: float
    talk_s: float | None
    hold_s: float
    wrapup_s: float


def _pct(numerator: int, denominator: int) -> float | None:
    return None if denominator <= 0 else round(100.0 * numerator / denominator, 2)


def _mean(values: list[float]) -> float | None:
    return None if not values else round(sum(values) / len(values), 2)


@dataclass
class QueueMetrics:
    queue: str
    service_level_s: int
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    exited_by_reason: Counter[str] = field(default_factory=Counter)
    join_failed: int = 0
    answered_within_sl: int = 0
    waits: list[float] = field(default_factory=list)
    answered_waits: list[float] = field(default_factory=list)
    talks: list[float] = field(default_factory=list)
    handles: list[float] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)

    def add(self, visit: VisitFacts, short_abandon_s: float) -> None:
        if not visit.joined:
            self.join_failed += 1
            return
        self.offered += 1
        self.waits.append(visit.wait_s)
        if visit.outcome == "answered":
            self.answered += 1
            self.answered_waits.append(visit.wait_s)
            if visit.wait_s <= self.service_level_s:
                self.answered_within_sl += 1
            if visit.talk_s is not None:
                self.talks.append(visit.talk_s)
                self.handles.append(visit.talk_s + visit.wrapup_s)
                self.holds.append(visit.hold_s)
        elif visit.outcome == "abandoned":
            self.abandoned += 1
            if visit.wait_s < short_abandon_s:
                self.short_abandoned += 1
        elif visit.outcome in EXIT_OUTCOMES:
            self.exited_by_reason[visit.outcome] += 1

    @property
    def exited(self) -> int:
        return sum(self.exited_by_reason.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned,
            "exited": self.exited,
            "exited_timeout": self.exited_by_reason["timeout"],
            "exited_exit_key": self.exited_by_reason["exit_key"],
            "exited_empty": self.exited_by_reason["empty"],
            "exited_other": self.exited - sum(self.exited_by_reason[k] for k in ("timeout", "exit_key", "empty")),
            "join_failed": self.join_failed,
            "answer_rate": _pct(self.answered, self.offered),
            "abandon_rate": _pct(self.abandoned, self.offered),
            "service_level": _pct(self.answered_within_sl, self.offered - self.short_abandoned),
            "service_level_answered": _pct(self.answered_within_sl, self.answered),
            "service_level_s": self.service_level_s,
            "answered_within_sl": self.answered_within_sl,
            "asa_s": _mean(self.answered_waits),
            "mean_wait_s": _mean(self.waits),
            "max_wait_s": max(self.waits) if self.waits else None,
            "talk_s": _mean(self.talks),
            "hold_s": _mean(self.holds),
            "aht_s": _mean(self.handles),
        }


def overlap_s(intervals: Iterable[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end) covered by the union of ``intervals``."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals if b > start and a < end)
    total = 0.0
    current_start = current_end = None
    for a, b in clipped:
        if current_end is None or a > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = a, b
        else:
            current_end = max(current_end, b)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total
