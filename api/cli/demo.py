"""``hotline demo``: the bundled real traces replayed into the embedded database."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

import click

from ami_bridge.queries.calls import CallQuery, call_to_dict, list_calls
from ami_bridge.queries.queue_stats import StatsQuery, queue_stats
from ami_bridge.replay import replay_files
from api.cli.common import Runtime, pass_runtime, print_table

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


@click.command()
@pass_runtime
def demo(runtime: Runtime) -> None:
    """Replay the bundled traces of real Asterisk calls, then print the call log and
    the queue statistics they give."""
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
    click.echo("\nNext: hotline calls show LINKEDID --server-id demo-ast20, hotline queues stats --interval 1h, hotline queues live")
