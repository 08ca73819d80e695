"""``hotline db``: the database schema."""

from __future__ import annotations

import click

from api.cli.common import Runtime, pass_runtime


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@pass_runtime
def upgrade(runtime: Runtime) -> None:
    """Create or upgrade the tables to the current schema (Alembic head)."""
    runtime.upgrade_schema()
    click.echo(f"database at {runtime.engine.url.render_as_string(hide_password=True)} is up to date")
