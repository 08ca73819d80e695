"""``hotline queues`` and ``hotline agents``: statistics and live state."""

from __future__ import annotations

import time

import click

from ami_bridge.intervals import NAMES, Interval
from ami_bridge.queries.agent_stats import AgentStatsQuery, agent_stats
from ami_bridge.queries.queue_stats import StatsQuery, queue_stats
from api.cli.common import Runtime, pass_runtime, print_json, print_table
from api.live_view import snapshot_rows


@click.group()
def queues() -> None:
    """Queue statistics and live queue state."""


@queues.command()
@click.option("--from", "start", help="Callers who joined at or after this ISO-8601 time (default: all).")
@click.option("--to", "end", help="Callers who joined before this ISO-8601 time (default: all).")
@click.option("--interval", type=click.Choice(NAMES), help="One row per queue and interval.")
@click.option("--queue", help="Only this queue.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_runtime
def stats(runtime: Runtime, start: str | None, end: str | None, interval: str | None, queue: str | None, as_json: bool) -> None:
    """Offered, answered, abandoned, exited, service level, ASA, AHT per queue."""
    runtime.require_schema()
    query = StatsQuery(
        start=runtime.time_option(start, "--from"),
        end=runtime.time_option(end, "--to"),
        interval=Interval.parse(interval) if interval else None,
        queue=queue,
    )
    if query.start and query.end and query.start >= query.end:
        raise click.BadParameter("must be later than --from", param_hint="--to")
    settings = runtime.settings
    with runtime.sessions() as session:
        rows = queue_stats(
            session,
            query,
            zone=runtime.zone,
            short_abandon_s=settings.short_abandon_s,
            default_service_level_s=settings.default_service_level_s,
            wrapup_reasons=settings.wrapup_reasons,
            queue_wrapup_s=settings.queue_wrapup_s,
        )
    if as_json:
        print_json(rows)
    else:
        columns = ["queue"] + (["interval_start"] if interval else []) + [
            "offered", "answered", "abandoned", "short_abandoned", "exited", "answer_rate", "abandon_rate", "service_level", "asa_s", "aht_s",
        ]
        print_table(rows, columns)


@queues.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_runtime
def live(runtime: Runtime, as_json: bool) -> None:
    """Callers waiting and agents per queue, as the bridges see them now."""
    runtime.require_schema()
    with runtime.sessions() as session:
        rows = snapshot_rows(session, time.time(), runtime.zone)
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no live state yet: run 'hotline bridge' (or replay a trace)")
    for row in rows:
        state = "live" if row["live"] else f"as of {row['as_of']}"
        click.echo(
            f"{row['queue']} [{row['server_id']}, {state}]: {row['callers_waiting']} waiting (longest {row['longest_wait_s']} s); "
            f"agents {row['agents_logged_in']} logged in, {row['agents_available']} available, {row['agents_on_call']} on call, {row['agents_paused']} paused"
        )
        for caller in row["callers"]:
            click.echo(f"    {caller['position']}. {caller['caller']} waiting {caller['wait_s']} s")
        for agent in row["agents"]:
            reason = f" ({agent['paused_reason']})" if agent["paused_reason"] else ""
            click.echo(f"    {agent['name']} {agent['interface']}: {agent['status']}{reason}")


@click.group()
def agents() -> None:
    """Agent statistics."""


@agents.command("stats")
@click.option("--from", "start", help="ISO-8601 start (default: the first login seen).")
@click.option("--to", "end", help="ISO-8601 end (default: the last call's end).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_runtime
def agent_stats_command(runtime: Runtime, start: str | None, end: str | None, as_json: bool) -> None:
    """Calls handled, ring-no-answer, talk time, AHT, paused time and occupancy per agent."""
    runtime.require_schema()
    query = AgentStatsQuery(start=runtime.time_option(start, "--from"), end=runtime.time_option(end, "--to"))
    with runtime.sessions() as session:
        rows = agent_stats(session, query, wrapup_reasons=runtime.settings.wrapup_reasons, queue_wrapup_s=runtime.settings.queue_wrapup_s)
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["name", "interface", "calls_handled", "ring_no_answer", "talk_s", "aht_s", "logged_in_s", "paused_s", "occupancy"])
