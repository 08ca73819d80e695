"""``hotline demo``: the bundled real traces replayed into the embedded database, then the
service itself, with a demo PBX playing the traces live so the wallboard moves."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timezone
from importlib.resources import as_file, files
from pathlib import Path

import click
from pydantic import SecretStr

from ami_bridge.queries.calls import CallQuery, call_to_dict, list_calls
from ami_bridge.queries.queue_stats import StatsQuery, queue_stats
from ami_bridge.replay import replay_files
from api.cli.common import Runtime, pass_runtime, print_table
from core import audit, credentials
from core.audit import Actor
from core.db import transaction
from core.users import Role, add_user, get_user, set_disabled, set_password

#: Two PBXs, in the order the calls happened: one Asterisk 20 (chan_sip), one Asterisk 22 (PJSIP).
DEMO_TRACES: dict[str, list[str]] = {
    "demo-ast20": [
        "answered", "abandoned", "ivr_timeout", "billing_answered", "ring_no_answer", "blind_transfer",
        "originate_callback", "busy_queue", "busy_queue.asterisk_stats", "speech_zh", "speech_ko",
        "agi_digit", "agi_hangup", "pyvoip_ivr",
    ],
    "demo-ast22": [
        "pjsip22_status", "pjsip22_answered", "pjsip22_exits", "pjsip22_agent_states", "pjsip22_originate",
        "pjsip22_status_busy", "agi22_replies",
    ],
}
#: What the demo PBX plays live, at the recorded pace and over and over: the Asterisk 20
#: queue calls (one PBX, so one bridge), about two and a half minutes of callers joining,
#: waiting, being answered and giving up per round.
LIVE_TRACES = ["answered", "abandoned", "billing_answered", "ring_no_answer", "blind_transfer", "busy_queue"]
LIVE_SERVER_ID = "demo-live"
DEMO_USER = "demo"


def demo_supervisor(runtime: Runtime) -> str:
    """(Re)create the demo supervisor with a fresh password; return the password."""
    password = secrets.token_urlsafe(9)
    now = datetime.now(timezone.utc)
    with transaction(runtime.sessions) as session:
        user = get_user(session, DEMO_USER)
        if user is None:
            add_user(session, DEMO_USER, Role.SUPERVISOR, password, now=now)
        elif user.role != Role.SUPERVISOR.value:
            raise click.ClickException(f"a user named {DEMO_USER!r} exists with role {user.role}; the demo will not reuse it")
        else:
            set_password(session, user, password, now=now)
            set_disabled(session, user, False, now=now)
            credentials.revoke_all(session, user, now=now)
        audit.record(session, Actor("cli:demo", "", "local"), "user.passwd" if user else "user.add", DEMO_USER, now=now, role="supervisor")
    return password


@click.command()
@click.option("--serve/--no-serve", default=True, show_default=True, help="Start the server and play the traces live (otherwise print and stop).")
@click.option("--host", help="Address to listen on (default: HOTLINE_HTTP_HOST, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: HOTLINE_HTTP_PORT, 8000).")
@click.option("--speed", type=click.FloatRange(min=0.1, max=100), default=1.0, show_default=True, help="Play the live traces this many times faster than recorded.")
@pass_runtime
def demo(runtime: Runtime, serve: bool, host: str | None, port: int | None, speed: float) -> None:
    """Replay the bundled traces of real Asterisk calls, print the call log and the queue
    statistics they give, then serve the wallboard and call pages while a demo PBX plays
    the queue calls again, live."""
    runtime.upgrade_schema()
    traces = files("api") / "demo_traces"
    for server_id, names in DEMO_TRACES.items():
        with as_file(traces) as folder:
            paths = [Path(folder) / f"{name}.jsonl" for name in names]
            report = replay_files(paths, runtime.sessions, server_id=server_id, ivr_endpoints=frozenset(runtime.settings.ivr_endpoints))
        click.echo(f"{server_id}: replayed {report.messages} AMI messages from {len(paths)} traces, {report.calls_ended} calls")
    click.echo(f"\nCall log ({runtime.settings.database_url}):")
    with runtime.sessions() as session:
        calls = [call_to_dict(c, runtime.zone) for c in list_calls(session, CallQuery())]
        calls = [c for c in calls if c["server_id"] != LIVE_SERVER_ID]
        stats = queue_stats(
            session,
            StatsQuery(),
            zone=runtime.zone,
            short_abandon_s=runtime.settings.short_abandon_s,
            default_service_level_s=runtime.settings.default_service_level_s,
            wrapup_reasons=runtime.settings.wrapup_reasons,
            queue_wrapup_s=runtime.settings.queue_wrapup_s,
        )
    print_table(calls, ["started_at", "server_id", "caller", "queue", "agent", "disposition", "wait_s", "talk_s", "ivr_digits"])
    click.echo("\nQueue statistics:")
    print_table(stats, ["queue", "offered", "answered", "abandoned", "short_abandoned", "exited", "answer_rate", "service_level", "asa_s", "aht_s"])
    if not serve:
        click.echo("\nNext: hotline calls show LINKEDID --server-id demo-ast20, hotline queues stats --interval 1h, hotline queues live")
        return
    password = demo_supervisor(runtime)
    with as_file(traces) as folder:
        asyncio.run(_serve(runtime, [Path(folder) / f"{name}.jsonl" for name in LIVE_TRACES], host, port, speed, password))


async def _serve(runtime: Runtime, paths: list[Path], host: str | None, port: int | None, speed: float, password: str) -> None:
    from api.demo_pbx import TracePlayer
    from api.server import build_server, configure_logging

    configure_logging()
    secret = secrets.token_urlsafe(16)
    player = TracePlayer(paths, username="demo-bridge", secret=secret, speed=speed, repeat=True)
    ami_port = await player.start()
    settings = runtime.settings.model_copy(
        update={"ami_host": "127.0.0.1", "ami_port": ami_port, "ami_username": "demo-bridge", "ami_secret": SecretStr(secret), "server_id": LIVE_SERVER_ID}
    )
    http_host = host or settings.http_host
    http_port = port or settings.http_port
    server = build_server(settings, runtime.sessions, http_host, http_port)
    click.echo(
        f"\nHotline is serving on http://{http_host}:{http_port}/ — wallboard at /wallboard, calls at /calls, API at /api/docs"
        f"\nDemo supervisor login: user {DEMO_USER!r}, password {password!r}"
        f"\nA demo PBX plays {len(paths)} recorded traces live, over and over (server id {LIVE_SERVER_ID!r}, {speed:g}× recorded pace). Ctrl-C stops.\n"
    )
    try:
        await server.serve()
    finally:
        await player.stop()
