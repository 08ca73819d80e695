"""``hotline bridge``: the live AMI bridge on its own."""

from __future__ import annotations

import asyncio
import logging

import click

from ami_bridge.bridge import AmiBridge
from api.cli.common import Runtime, pass_runtime


@click.command()
@click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), show_default=True)
@pass_runtime
def bridge(runtime: Runtime, log_level: str) -> None:
    """Listen to Asterisk (HOTLINE_AMI_HOST, _PORT, _USERNAME, _SECRET) and build the
    call log, queue statistics and live state until interrupted."""
    settings = runtime.settings
    missing = [name for name, value in (("HOTLINE_AMI_HOST", settings.ami_host), ("HOTLINE_AMI_USERNAME", settings.ami_username)) if not value]
    if missing:
        raise click.UsageError(f"set {' and '.join(missing)} (and HOTLINE_AMI_SECRET) to the Asterisk manager account to listen to")
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime.upgrade_schema()
    ami = AmiBridge(settings, runtime.sessions)
    click.echo(f"bridging {settings.ami_username}@{settings.ami_host}:{settings.ami_port} as server {settings.server_id!r} into {runtime.engine.url.render_as_string(hide_password=True)}", err=True)
    try:
        asyncio.run(ami.run())
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
