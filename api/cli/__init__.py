"""``hotline``: one command for every part of the service."""

from __future__ import annotations

import click
from pydantic import ValidationError

from api.cli.audit import audit
from api.cli.bridge import bridge
from api.cli.calls import calls
from api.cli.common import Runtime
from api.cli.db import db
from api.cli.demo import demo
from api.cli.ivr import agi, ivr
from api.cli.queues import agents, queues
from api.cli.replay import replay
from api.cli.serve import serve
from api.cli.users import users
from core.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """Hotline: call-center integration beside an Asterisk PBX.

    Settings come from HOTLINE_* environment variables (or a .env file); see README.md.
    """
    try:
        ctx.obj = Runtime(Settings())
    except ValidationError as exc:
        problems = "; ".join(f"HOTLINE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(f"bad setting: {problems}") from None


main.add_command(bridge)
main.add_command(db)
main.add_command(demo)
main.add_command(replay)
main.add_command(calls)
main.add_command(queues)
main.add_command(agents)
main.add_command(serve)
main.add_command(users)
main.add_command(audit)
main.add_command(ivr)
main.add_command(agi)
