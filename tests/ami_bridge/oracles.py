"""Asterisk's own records of the traced calls: ``Cdr`` events and ``queue_log`` lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import DATA

AMI = DATA / "ami"


@dataclass(frozen=True)
class Cdr:
    uniqueid: str
    start: float
    end: float
    duration: int
    billable: int
    disposition: str


def cdrs(path: Path) -> list[Cdr]:
    out = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        d = dict(record.get("headers", []))
        if d.get("Event") != "Cdr":
            continue
        parse = lambda t: datetime.strptime(t, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()  # PBX clock is UTC
        out.append(Cdr(d["UniqueID"], parse(d["StartTime"]), parse(d["EndTime"]), int(d["Duration"]), int(d["BillableSeconds"]), d["Disposition"]))
    return out


@dataclass(frozen=True)
class QueueLogCall:
    callid: str
    queue: str
    outcome: str  # CONNECT+COMPLETE*/ABANDON/EXITWITH*/BLINDTRANSFER
    wait: int | None
    talk: int | None
    key: str = ""


def queue_log(path: Path, callids: set[str]) -> dict[str, QueueLogCall]:
    """Per caller channel: how its queue visit ended, by Asterisk's queue_log."""
    rows = [line.split("|") for line in path.read_text().splitlines()]
    calls: dict[str, QueueLogCall] = {}
    connect_wait: dict[str, int] = {}
    for row in rows:
        callid, queue, event = row[1], row[2], row[4]
        if callid not in callids:
            continue
        if event == "CONNECT":
            connect_wait[callid] = int(row[5])
        elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
            calls[callid] = QueueLogCall(callid, queue, "answered", int(row[5]), int(row[6]))
        elif event == "BLINDTRANSFER":
            calls[callid] = QueueLogCall(callid, queue, "answered", int(row[7]), int(row[8]))
        elif event == "ABANDON":
            calls[callid] = QueueLogCall(callid, queue, "abandoned", int(row[7]), None)
        elif event == "EXITWITHTIMEOUT":
            calls[callid] = QueueLogCall(callid, queue, "timeout", int(row[7]), None)
        elif event == "EXITEMPTY":
            calls[callid] = QueueLogCall(callid, queue, "empty", int(row[7]), None)
        elif event == "EXITWITHKEY":
            calls[callid] = QueueLogCall(callid, queue, "exit_key", int(row[8]), None, key=row[5])
    return calls


def queue_log_for(trace: str) -> Path:
    own = AMI / f"{trace}.queue_log"
    return own if own.exists() else AMI / "asterisk20.queue_log"
