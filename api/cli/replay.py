"""``hotline replay``: recorded AMI traffic into the call log."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import Runtime, pass_runtime
from ami_bridge.replay import replay_files


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--server-id", help="Tag for the PBX the traffic came from (default: HOTLINE_SERVER_ID).")
@pass_runtime
def replay(runtime: Runtime, paths: tuple[Path, ...], server_id: str | None) -> None:
    """Replay AMI traces (.txt raw wire or .jsonl) in the order given.

    Every message is journaled before it is interpreted; replaying the same file again
    changes nothing.
    """
    runtime.upgrade_schema()
    report = replay_files(
        list(paths),
        runtime.sessions,
        server_id=server_id or runtime.settings.server_id,
        ivr_endpoints=frozenset(runtime.settings.ivr_endpoints),
    )
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"{report.messages} messages, {report.calls_ended} calls ended, {report.open_calls} still open")
