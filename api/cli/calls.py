"""``hotline calls``: the call log."""

from __future__ import annotations

import click

from ami_bridge.facts import DISPOSITIONS
from ami_bridge.queries.calls import CallQuery, call_to_dict, get_call, list_calls
from ami_bridge.replay import rebuild as rebuild_call_log
from api.call_views import call_detail
from api.cli.common import Runtime, pass_runtime, print_json, print_table


@click.group()
def calls() -> None:
    """The call log built from AMI events."""


@calls.command("list")
@click.option("--since", help="Calls that started at or after this ISO-8601 time.")
@click.option("--until", help="Calls that started before this ISO-8601 time.")
@click.option("--queue", help="Only calls that went through this queue.")
@click.option("--agent", help="Only calls answered by this agent (name or interface).")
@click.option("--disposition", type=click.Choice(DISPOSITIONS))
@click.option("--caller", help="Only calls from (or, outbound, to) this number.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many calls.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_runtime
def list_(runtime: Runtime, since: str | None, until: str | None, queue: str | None, agent: str | None,
          disposition: str | None, caller: str | None, limit: int | None, as_json: bool) -> None:
    """List calls, oldest first."""
    runtime.require_schema()
    query = CallQuery(
        since=runtime.time_option(since, "--since"),
        until=runtime.time_option(until, "--until"),
        queue=queue,
        agent=agent,
        disposition=disposition,
        caller=caller,
        limit=limit,
    )
    with runtime.sessions() as session:
        rows = [call_to_dict(c, runtime.zone) for c in list_calls(session, query)]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["started_at", "linkedid", "caller", "queue", "agent", "disposition", "wait_s", "talk_s", "ivr_digits"])


@calls.command()
@click.argument("linkedid")
@click.option("--server-id", help="The PBX (default: HOTLINE_SERVER_ID).")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
def show(runtime: Runtime, linkedid: str, server_id: str | None, as_json: bool) -> None:
    """One call with its legs and timeline."""
    runtime.require_schema()
    sid = server_id or runtime.settings.server_id
    zone = runtime.zone
    with runtime.sessions() as session:
        call = get_call(session, sid, linkedid)
        if call is None:
            raise click.ClickException(f"no call with Linkedid {linkedid!r} on server {sid!r}")
        detail, _numbers = call_detail(session, call, zone)
    if as_json:
        print_json(detail)
        return
    for key in ("linkedid", "direction", "started_at", "ended_at", "caller", "queue", "agent", "disposition", "wait_s", "talk_s", "hold_s", "ivr_digits", "transfers"):
        click.echo(f"{key:12} {'-' if detail[key] is None else detail[key]}")
    click.echo("")
    for entry in detail["timeline"]:
        extra = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("at", "event", "uniqueid"))
        click.echo(f"{entry['at']}  {entry['event']:16} {extra}")
    if detail["ivr_path"]:
        click.echo("\nIVR path:")
        for step in detail["ivr_path"]:
            click.echo(f"{step['at']}  {step['node']} ({step['type']})  keys {step['digits'] or '-'}  → {step['outcome']}")


@calls.command()
@click.option("--server-id", help="The PBX whose call log to rebuild (default: HOTLINE_SERVER_ID).")
@pass_runtime
def rebuild(runtime: Runtime, server_id: str | None) -> None:
    """Derive the call log, queue and agent facts again from the raw journal."""
    runtime.upgrade_schema()
    report = rebuild_call_log(runtime.sessions, server_id=server_id or runtime.settings.server_id, ivr_endpoints=frozenset(runtime.settings.ivr_endpoints))
    click.echo(f"{report.messages} journaled messages, {report.calls_ended} calls rebuilt, {report.open_calls} still open")
