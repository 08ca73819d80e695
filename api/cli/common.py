"""What every command needs: settings, the database, the center's zone, and output."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any

import click
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from core.db import make_engine, make_sessionmaker
from core.schema import upgrade
from core.settings import Settings, get_settings
from core.times import center_zone, parse_time


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    @cached_property
    def zone(self) -> tzinfo:
        try:
            return center_zone(self.settings.timezone)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None

    def upgrade_schema(self) -> None:
        upgrade(self.settings.database_url)

    def require_schema(self) -> None:
        if not inspect(self.engine).has_table("calls"):
            raise click.ClickException(f"the database at {self.settings.database_url} has no Hotline tables yet: run 'hotline db upgrade'")

    def time_option(self, value: str | None, name: str) -> datetime | None:
        if value is None:
            return None
        try:
            return parse_time(value, self.zone, what=name)
        except ValueError as exc:
            raise click.BadParameter(str(exc).partition(": ")[2], param_hint=name) from None


pass_runtime = click.make_pass_decorator(Runtime)


def runtime_from(ctx: click.Context) -> Runtime:
    if ctx.obj is None:
        ctx.obj = Runtime(get_settings())
    return ctx.obj


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Aligned plain-text columns; ``None`` prints as ``-``."""
    cells = [[("-" if row.get(c) is None else str(row.get(c))) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for r in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
