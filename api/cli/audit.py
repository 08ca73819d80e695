"""``hotline audit``: reading the access audit log."""

from __future__ import annotations

import click

from api.cli.common import Runtime, pass_runtime, print_json, print_table
from core.audit import AuditQuery, list_entries
from core.times import iso


@click.group()
def audit() -> None:
    """The access audit log: who read or changed what, when, from where."""


@audit.command("list")
@click.option("--since", help="Entries at or after this ISO-8601 time.")
@click.option("--until", help="Entries before this ISO-8601 time.")
@click.option("--actor", help="Only this user (cli:NAME for the command line).")
@click.option("--action", help="Only this action or family (user, agent.pause, calls.read …).")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_runtime
def list_(runtime: Runtime, since: str | None, until: str | None, actor: str | None, action: str | None, limit: int, as_json: bool) -> None:
    """Newest first."""
    runtime.upgrade_schema()
    query = AuditQuery(since=runtime.time_option(since, "--since"), until=runtime.time_option(until, "--until"), actor=actor, action=action, limit=limit)
    with runtime.sessions() as session:
        rows = [
            {"id": e.id, "at": iso(e.at, runtime.zone), "actor": e.actor, "role": e.role, "address": e.address, "action": e.action, "target": e.target, "detail": e.detail}
            for e in list_entries(session, query)
        ]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["at", "actor", "role", "address", "action", "target", "detail"])
