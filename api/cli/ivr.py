"""``hotline ivr …`` (flow files, statistics, the emergency override) and ``hotline agi``
(the FastAGI server)."""

from __future__ import annotations

import asyncio
import getpass
import logging
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path

import click
from sqlalchemy import inspect

from api.cli.common import Runtime, pass_runtime, print_json, print_table
from core.clock import SystemClock
from core.db import transaction
from core.times import iso
from ivr import emergency as emergency_state
from ivr.agi.server import EmergencyCache, FastAgiServer
from ivr.agi.session import AgiConfig
from ivr.engine import CallInfo
from ivr.journey_stats import JourneyStatsQuery, node_stats
from ivr.journeys import JourneyStore
from ivr.loader import load_flow
from ivr.registry import FlowRegistry, FlowUnavailable
from ivr.simulator import Script, coverage, simulate
from ivr.validator import validate_file

QUEUE_RESULTS = ("answered", "timeout", "unavailable", "hangup")


def _require_ivr_schema(runtime: Runtime) -> None:
    if not inspect(runtime.engine).has_table("ivr_journeys"):
        raise click.ClickException(f"the database at {runtime.settings.database_url} has no IVR tables yet: run 'hotline db upgrade'")


@click.group()
def ivr() -> None:
    """IVR flows: validate, simulate, journey statistics, the emergency override."""


@ivr.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@pass_runtime
def validate(runtime: Runtime, files: tuple[str, ...]) -> None:
    """Check flow files; print every problem as file:line:column: message.

    Exit status 1 if any file has a problem.
    """
    failed = 0
    for name in files:
        flow, problems = validate_file(Path(name), default_zone=runtime.zone, display_name=name)
        for problem in problems:
            click.echo(str(problem))
        if problems:
            failed += 1
        elif flow is not None:
            click.echo(f"{name}: ok ({len(flow.nodes)} nodes)", err=True)
    if failed:
        click.echo(f"{failed} of {len(files)} flow file(s) have problems", err=True)
        sys.exit(1)


def _load_valid(runtime: Runtime, name: str):
    flow, problems = validate_file(Path(name), default_zone=runtime.zone, display_name=name)
    if problems or flow is None:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{name} is not a valid flow (see 'hotline ivr validate')")
    return flow


@ivr.command("simulate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--digits", default="", help="What the caller keys at each prompt, comma-separated, e.g. 1,#,3. "
              "An empty entry or 'timeout' lets that prompt time out; 'hangup' hangs up. Afterwards every prompt times out.")
@click.option("--at", "at_text", help="When the call happens (ISO-8601; default now). Business hours are checked at this time.")
@click.option("--caller", default="", help="The caller's number (caller-ID lists, callback confirmation).")
@click.option("--queue", "queue_result", type=click.Choice(QUEUE_RESULTS), default="answered", show_default=True,
              help="What happens in a queue.")
@click.option("--coverage", "walk", is_flag=True, help="Walk every path instead and report nodes no path reaches (exit 1 if any).")
@pass_runtime
def simulate_command(runtime: Runtime, file: str, digits: str, at_text: str | None, caller: str, queue_result: str, walk: bool) -> None:
    """Run a flow in the console: each step with its prompt's words, then the outcome."""
    flow = _load_valid(runtime, file)
    at = runtime.time_option(at_text, "--at") if at_text else datetime.now(timezone.utc)
    assert at is not None
    if walk:
        result = coverage(flow, around=at.timestamp())
        total = len(result.all_nodes)
        click.echo(f"{file}: {total - len(result.missed)} of {total} nodes reached "
                   f"({result.scenarios} time/caller scenarios, {result.paths} paths)")
        for name in result.missed:
            click.echo(f"never reached: {name}")
        if result.missed:
            sys.exit(1)
        return
    keys = [entry.strip() for entry in digits.split(",")] if digits else []
    call = CallInfo(caller=caller, called="", language=flow.language)
    click.echo(f"{file} at {iso(at, runtime.zone)}, caller {caller or '(anonymous)'}")
    simulate(flow, call, at.timestamp(), runtime.zone, Script(keys=keys, queue=queue_result), echo=click.echo)


@ivr.command("stats")
@click.argument("flow_file", type=click.Path(dir_okay=False))
@click.option("--from", "start", help="Journeys that started at or after this ISO-8601 time (default: all).")
@click.option("--to", "end", help="Journeys that started before this ISO-8601 time (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per node.")
@pass_runtime
def stats(runtime: Runtime, flow_file: str, start: str | None, end: str | None, as_json: bool) -> None:
    """Entries, exits per option, timeouts, invalid input and caller hang-ups per node."""
    flow, problems = load_flow(Path(flow_file), default_zone=runtime.zone, display_name=flow_file)
    if flow is None:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"cannot read {flow_file}")
    query = JourneyStatsQuery(flow=flow.name, start=runtime.time_option(start, "--from"), end=runtime.time_option(end, "--to"))
    if query.start and query.end and query.start >= query.end:
        raise click.BadParameter("must be later than --from", param_hint="--to")
    _require_ivr_schema(runtime)
    with runtime.sessions() as session:
        rows = node_stats(session, flow, query, zone=runtime.zone)
    if as_json:
        print_json(rows)
        return
    table = [{**row, "exits": " ".join(f"{k}={v}" for k, v in row["exits"].items()) or "-"} for row in rows]
    print_table(table, ["node", "type", "entries", "exits", "timeouts", "invalid", "hangups"])


@ivr.command("emergency")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.option("--flow", "flow_name", help="The announcement flow (a name in HOTLINE_IVR_FLOWS_DIR; default HOTLINE_IVR_EMERGENCY_FLOW).")
@pass_runtime
def emergency(runtime: Runtime, state: str, flow_name: str | None) -> None:
    """应急预案: send every new call to an announcement flow (on), back to normal (off)."""
    _require_ivr_schema(runtime)
    now = datetime.now(timezone.utc)
    if state == "on":
        name = flow_name or runtime.settings.ivr_emergency_flow
        try:
            FlowRegistry(runtime.settings.ivr_flows_dir, runtime.zone).get(name)
        except FlowUnavailable as exc:
            raise click.ClickException(f"cannot switch the emergency override on: {exc}") from None
    with transaction(runtime.sessions) as session:
        if state == "status":
            row = emergency_state.current(session)
        else:
            row = emergency_state.switch(session, active=state == "on", flow=name if state == "on" else "", at=now, by=_who())
            row = row if row.active else None
        if row is None:
            click.echo("emergency override: off (calls run their own flows)")
        else:
            click.echo(f"emergency override: ON since {iso(row.changed_at, runtime.zone)}: every new call runs flow {row.flow!r}")


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


@click.command("agi")
@click.option("--host", help="Address to listen on (default HOTLINE_AGI_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default HOTLINE_AGI_PORT, 4573).")
@pass_runtime
def agi(runtime: Runtime, host: str | None, port: int | None) -> None:
    """Serve IVR flows to Asterisk over FastAGI: AGI(agi://HOST:PORT/FLOW)."""
    settings = runtime.settings
    folder = Path(settings.ivr_flows_dir)
    if not folder.is_dir():
        raise click.ClickException(f"HOTLINE_IVR_FLOWS_DIR: {folder} is not a folder")
    _require_ivr_schema(runtime)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sessions = runtime.sessions

    def read_override() -> str | None:
        with sessions() as session:
            row = emergency_state.current(session)
            return row.flow if row else None

    config = AgiConfig(server_id=settings.server_id, record_dir=settings.ivr_record_dir, record_format=settings.ivr_record_format,
                       error_prompt=settings.ivr_error_prompt, transfer_context=settings.ivr_transfer_context)
    server = FastAgiServer(FlowRegistry(folder, runtime.zone), config=config, store=JourneyStore(sessions),
                           emergency=EmergencyCache(read_override), clock=SystemClock())

    async def main() -> None:
        listening = await server.start(host or settings.agi_host, port or settings.agi_port)
        address = listening.sockets[0].getsockname()
        click.echo(f"FastAGI on {address[0]}:{address[1]}, flows from {folder}", err=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        click.echo(f"stopping: {server.active} call(s) in progress are ended", err=True)
        await server.close()

    try:
        asyncio.run(main())
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc}") from None
