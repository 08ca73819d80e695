"""Live queue rows (``hotline queues live --json``) from wherever this process can see
them: its own bridge, the live feed, or the snapshots other processes' bridges write."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from sqlalchemy.orm import Session

from ami_bridge.live_state import LiveState, render
from ami_bridge.queries.live import load_snapshots
from core.times import from_epoch, iso

#: A snapshot refreshed this recently comes from a bridge that is running now.
FRESH_S = 5.0


def snapshot_rows(session: Session, now: float, zone: tzinfo) -> list[dict[str, Any]]:
    """Every PBX's rows from the database snapshots, as the command line prints them."""
    rows = []
    for snapshot in load_snapshots(session):
        as_of = snapshot.as_of.timestamp()
        # A running bridge refreshes its snapshot every second; an old one (a replay,
        # a stopped bridge) is shown as of its own time, with that time printed.
        fresh = snapshot.connected and now - as_of < FRESH_S
        for row in render(snapshot.state, now if fresh else as_of, server_id=snapshot.server_id):
            row["as_of"] = iso(snapshot.as_of, zone)
            row["live"] = fresh
            rows.append(row)
    return rows


def bridge_rows(live: LiveState, server_id: str, connected: bool, now: float, zone: tzinfo) -> list[dict[str, Any]]:
    rows = render(live.to_json(), now, server_id=server_id)
    for row in rows:
        row["as_of"] = iso(from_epoch(now), zone)
        row["live"] = connected
    return rows


def aged(rows: list[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    """Rows rendered ``seconds`` ago, with the waits they would show now."""
    if seconds <= 0:
        return rows
    out = []
    for row in rows:
        callers = [{**c, "wait_s": round(c["wait_s"] + seconds, 1)} for c in row.get("callers", [])]
        out.append({**row, "callers": callers, "longest_wait_s": max((c["wait_s"] for c in callers), default=0.0)})
    return out
