"""The live-state snapshots bridges write for other processes (the CLI, API replicas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ami_bridge.models import LiveSnapshot
from core.db import upsert


def save_snapshot(session: Session, server_id: str, as_of: datetime, connected: bool, state: dict[str, Any]) -> None:
    upsert(session, LiveSnapshot.__table__, [{"server_id": server_id, "as_of": as_of, "connected": connected, "state": state}], ["server_id"])


def load_snapshots(session: Session) -> list[LiveSnapshot]:
    return list(session.scalars(select(LiveSnapshot).order_by(LiveSnapshot.server_id)))
