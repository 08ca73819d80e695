"""``hotline serve``: run the service."""

from __future__ import annotations

import click

from api.cli.common import Runtime, pass_runtime


@click.command()
@click.option("--host", help="Address to listen on (default: HOTLINE_HTTP_HOST, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: HOTLINE_HTTP_PORT, 8000).")
@pass_runtime
def serve(runtime: Runtime, host: str | None, port: int | None) -> None:
    """Serve the API, the wallboard and the call pages; run the AMI bridge in the same
    process when HOTLINE_AMI_HOST is set. Upgrades the database schema first."""
    from api.server import build_server, configure_logging

    configure_logging()
    runtime.upgrade_schema()
    runtime.zone  # a bad HOTLINE_TIMEZONE stops here, with its name, not at the first request
    settings = runtime.settings
    server = build_server(settings, runtime.sessions, host or settings.http_host, port or settings.http_port)
    server.run()
